#include "storage_dump.h"

#include <string.h>

#include "dumpfile/collect.h"
#include "dumpfile/sink.h"
#include "vmcore/dump.h"
#include "vmcore/synth.h"

#define M (1ULL << 20)
#define KTEXT 0xffffffff81000000ULL /* the kernel image at phys 16M */

const char sd_log[] =
	"<6>[    0.000000] Linux version 6.1.0-synthetic (kdumpkit tests)\n"
	"<6>[   41.900000] sysrq: Trigger a crash\n"
	"<0>[   42.000000] Kernel panic - not syncing: sysrq triggered crash\n";

char *sd_make_core(void)
{
	struct synth s;
	synth_init(&s, 32 * M, 4, 22 * M);
	for (uint64_t off = 0; off < 8 * M; off += 2 * M)
		synth_map(&s, KTEXT + off, 16 * M + off, 2 * M);
	synth_info(&s, "OSRELEASE=6.1.0-synthetic");
	synth_info(&s, "PAGESIZE=4096");
	synth_info(&s, "SYMBOL(init_top_pgt)=%llx", (unsigned long long)(KTEXT + (s.pgd - 16 * M)));
	synth_info(&s, "NUMBER(phys_base)=0");
	synth_info(&s, "NUMBER(pgtable_l5_enabled)=0");
	/* log_buf (a pointer), log_end, log_buf_len; the text at KTEXT + 2M */
	const uint64_t sym = KTEXT + 0x100000, buf = KTEXT + 0x200000;
	const uint32_t len = 1u << 16, end = (uint32_t)strlen(sd_log);
	memcpy(s.mem + 16 * M + 0x100000, &buf, 8);
	memcpy(s.mem + 16 * M + 0x100008, &end, 4);
	memcpy(s.mem + 16 * M + 0x100010, &len, 4);
	memcpy(s.mem + 18 * M, sd_log, end);
	synth_info(&s, "SYMBOL(log_buf)=%llx", (unsigned long long)sym);
	synth_info(&s, "SYMBOL(log_end)=%llx", (unsigned long long)(sym + 8));
	synth_info(&s, "SYMBOL(log_buf_len)=%llx", (unsigned long long)(sym + 16));
	/* some pages worth compressing, some not */
	uint32_t x = 7;
	for (uint64_t a = 4 * M; a < 6 * M; a++)
		s.mem[a] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
	for (uint64_t a = 8 * M; a < 12 * M; a++)
		s.mem[a] = (uint8_t)"raw recover "[a % 12];
	uint64_t ranges[] = { 0x1000, 32 * M };
	char *path = synth_write(&s, ranges, 1);
	synth_free(&s);
	return path;
}

kd_err *sd_collect(const char *core, int fd, int flat)
{
	struct kd_dump *in;
	kd_err *e = kd_dump_open(core, &in);
	if (e)
		return e;
	struct kd_sink *sink = NULL;
	e = flat ? kd_sink_flat(fd, "stream", &sink) : kd_sink_file(fd, "dump", &sink);
	struct kd_collect_opts o = { .dump_level = 1, .codec = KD_CODEC_ZLIB, .cycle_pfns = 1024 };
	struct kd_collect_stats st;
	if (!e)
		e = kd_collect(in, sink, &o, &st);
	kd_sink_free(sink);
	kd_dump_close(in);
	return e;
}
