/* makedumpfile's command line as data (dumpfile/mdf_cmd.h): every option parsed into the
 * command, every usage error refused with a message and nothing printed, the service's
 * core_collector check, and running: the same bytes as the collector called directly, -F then
 * -R giving back the same file, an existing output refused without -f, dumps created 0600. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/mdf_cmd.h"
#include "test.h"
#include "vmcore/synth.h"

#define MEM (4u << 20)
#define PS 4096u

#define ARGV(...) ((char *[]){ "makedumpfile", __VA_ARGS__, NULL })
#define ARGC(v) argc_of(v)

static int argc_of(char **v)
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

static kd_err *parse(char **v, struct kd_mdf_cmd *cmd)
{
	return kd_mdf_parse(ARGC(v), v, cmd);
}

static void test_parse_defaults(void)
{
	struct kd_mdf_cmd c;
	CHECK_OK(parse(ARGV("vmcore", "out"), &c));
	CHECK(c.mode == KD_MDF_COLLECT);
	CHECK_STR(c.vmcore, "vmcore");
	CHECK_STR(c.output, "out");
	CHECK_U64(c.opts.dump_level, 0);
	CHECK(c.opts.codec == KD_CODEC_NONE);
	CHECK_U64(c.msglevel, KD_MDF_ML_PROGRESS | KD_MDF_ML_COMMON | KD_MDF_ML_ERROR);
	CHECK(!c.force && !c.stats && !c.opts.elf && !c.opts.dry_run && !c.opts.threads);
}

static void test_parse_every_option(void)
{
	struct kd_mdf_cmd c;
	static const struct { const char *opt; enum kd_codec codec; } codecs[] = {
		{ "-c", KD_CODEC_ZLIB }, { "-l", KD_CODEC_LZO }, { "-p", KD_CODEC_SNAPPY },
		{ "-z", KD_CODEC_ZSTD },
	};
	for (size_t i = 0; i < 4; i++) {
		CHECK_OK(parse(ARGV((char *)codecs[i].opt, "a", "b"), &c));
		CHECK(c.opts.codec == codecs[i].codec);
	}
	/* options after the files too (GNU getopt permutes), and the numbers in any base */
	CHECK_OK(parse(ARGV("-l", "--message-level", "7", "-d", "31", "/proc/vmcore", "out", "-f",
			    "--num-threads", "0x2", "--show-stats", "-D", "--cyclic-buffer", "1024",
			    "--non-cyclic"), &c));
	CHECK(c.mode == KD_MDF_COLLECT);
	CHECK_U64(c.opts.dump_level, 31);
	CHECK_U64(c.msglevel, 7 | KD_MDF_ML_DEBUG);
	CHECK_U64(c.opts.threads, 2);
	CHECK(c.force && c.stats);
	CHECK_STR(c.vmcore, "/proc/vmcore");
	CHECK_STR(c.output, "out");

	CHECK_OK(parse(ARGV("-E", "-d", "1", "--dry-run", "a", "b"), &c));
	CHECK(c.opts.elf && c.opts.dry_run && c.opts.dump_level == 1);

	CHECK_OK(parse(ARGV("-F", "-c", "-d", "31", "/proc/vmcore"), &c));
	CHECK(c.mode == KD_MDF_FLAT);
	CHECK_STR(c.vmcore, "/proc/vmcore");
	CHECK(c.output == NULL);

	CHECK_OK(parse(ARGV("-R", "-f", "dump"), &c));
	CHECK(c.mode == KD_MDF_REASSEMBLE && c.force);
	CHECK_STR(c.output, "dump");

	CHECK_OK(parse(ARGV("--dump-dmesg", "vmcore", "log"), &c));
	CHECK(c.mode == KD_MDF_DMESG);
	CHECK_STR(c.vmcore, "vmcore");
	CHECK_STR(c.output, "log");

	CHECK_OK(parse(ARGV("-h"), &c));
	CHECK(c.mode == KD_MDF_HELP);
	CHECK_OK(parse(ARGV("--version", "-d", "99"), &c));
	CHECK(c.mode == KD_MDF_VERSION);
	CHECK_OK(parse(ARGV("--message-level", "0", "a", "b"), &c));
	CHECK_U64(c.msglevel, 0);
}

static void test_parse_errors(void)
{
	struct kd_mdf_cmd c;
	CHECK_ERR_HAS(parse(ARGV("-d", "32", "a", "b"), &c), "dump level '32' is not 0-31");
	CHECK_ERR_HAS(parse(ARGV("-d", "-1", "a", "b"), &c), "dump level '-1'");
	CHECK_ERR_HAS(parse(ARGV("-d", "3x", "a", "b"), &c), "dump level '3x'");
	CHECK_ERR_HAS(parse(ARGV("-c", "-l", "a", "b"), &c), "-c, -l, -p and -z are exclusive");
	CHECK_ERR_HAS(parse(ARGV("-E", "-z", "a", "b"), &c), "-E writes an ELF dump");
	CHECK_ERR_HAS(parse(ARGV("--frob", "a", "b"), &c), "unknown option '--frob'");
	CHECK_ERR_HAS(parse(ARGV("-q", "a", "b"), &c), "unknown option");
	CHECK_ERR_HAS(parse(ARGV("a", "-d"), &c), "option '-d' needs an argument");
	CHECK_ERR_HAS(parse(ARGV("--num-threads", "x", "a", "b"), &c), "--num-threads 'x'");
	CHECK_ERR_HAS(parse(ARGV("--num-threads", "65", "a", "b"), &c), "is not 0-64");
	CHECK_ERR_HAS(parse(ARGV("--message-level", "32", "a", "b"), &c), "--message-level '32'");
	CHECK_ERR_HAS(parse(ARGV("--cyclic-buffer", "k", "a", "b"), &c), "--cyclic-buffer 'k'");
	CHECK_ERR_HAS(parse(ARGV("--split", "a", "b"), &c), "--split is not supported");
	CHECK_ERR_HAS(parse(ARGV("-x", "vmlinux", "a", "b"), &c), "-x VMLINUX is not supported");
	CHECK_ERR_HAS(parse(ARGV("a"), &c), "VMCORE and DUMPFILE are needed");
	CHECK_ERR_HAS(parse(ARGV("a", "b", "c"), &c), "VMCORE and DUMPFILE are needed");
	CHECK_ERR_HAS(parse(ARGV("-F", "a", "b"), &c), "-F takes VMCORE only");
	CHECK_ERR_HAS(parse(ARGV("-R"), &c), "-R takes only DUMPFILE");
	CHECK_ERR_HAS(parse(ARGV("-R", "-d", "1", "x"), &c), "-R takes only DUMPFILE");
	CHECK_ERR_HAS(parse(ARGV("-R", "-c", "x"), &c), "-R takes only DUMPFILE");
	CHECK_ERR_HAS(parse(ARGV("--dump-dmesg", "a"), &c), "--dump-dmesg takes VMCORE LOGFILE");
	CHECK_ERR_HAS(parse(ARGV("--dump-dmesg", "-E", "a", "b"), &c), "--dump-dmesg takes");
	/* usage errors carry no errno: the message is the whole story */
	kd_err *e = parse(ARGV("-d", "40", "a", "b"), &c);
	CHECK(e && kd_err_errnum(e) == 0);
	kd_err_free(e);
}

static void test_check_collector(void)
{
	CHECK_OK(kd_mdf_check_collector(ARGV("-l", "--message-level", "7", "-d", "31")));
	CHECK_OK(kd_mdf_check_collector(((char *[]){ "/usr/sbin/makedumpfile", "-c", "-d", "31",
						     "--num-threads", "2", NULL })));
	CHECK_OK(kd_mdf_check_collector(ARGV("-E", "-d", "1")));
	CHECK_OK(kd_mdf_check_collector(((char *[]){ "makedumpfile", NULL })));
	CHECK_OK(kd_mdf_check_collector(((char *[]){ "cp", NULL })));
	CHECK_OK(kd_mdf_check_collector(((char *[]){ "cat", NULL })));
	CHECK(kd_mdf_collector_is_copy((char *[]){ "/bin/cp", NULL }));
	CHECK(!kd_mdf_collector_is_copy(ARGV("-d", "31")));

	/* kdump-utils wants -F in a raw or ssh target's core_collector */
	CHECK_OK(kd_mdf_check_collector(ARGV("-F", "-l", "--message-level", "7", "-d", "31")));
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-F", "-E", "-c")), "-E writes an ELF dump");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-R")), "core_collector: -R: the service saves");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("--dump-dmesg")), "--dump-dmesg: the service");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-d", "31", "/proc/vmcore", "/var/crash/x")),
		      "'/proc/vmcore' is a file argument");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-d", "33")), "core_collector: dump level '33'");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-c", "-z")), "are exclusive");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-E", "-c")), "-E writes an ELF dump");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("--dry-run")), "--dry-run writes no dump");
	CHECK_ERR_HAS(kd_mdf_check_collector(ARGV("-h")), "-h writes no dump");
	CHECK_ERR_HAS(kd_mdf_check_collector(((char *[]){ "gzip", "-c", NULL })),
		      "'gzip' is not makedumpfile, cp or cat");
	CHECK_ERR_HAS(kd_mdf_check_collector(((char *[]){ "cp", "-a", NULL })),
		      "takes no arguments");
	CHECK_ERR_HAS(kd_mdf_check_collector(((char *[]){ NULL })), "core_collector is empty");
	CHECK_ERR_HAS(kd_mdf_check_collector(NULL), "core_collector is empty");
}

/* A small ELF core: 4 MiB, every third page zero, the rest text. */
static char *make_core(struct synth *s)
{
	synth_init(s, MEM, 4, 3u << 20);
	synth_map(s, SYNTH_START_KERNEL_MAP, 0, 2u << 20);
	for (uint64_t pfn = 0; pfn < (3u << 20) / PS; pfn++)
		for (unsigned i = 0; i < PS; i++)
			s->mem[pfn * PS + i] = pfn % 3 ? (uint8_t)("mdf_cmd "[i % 8] + pfn) : 0;
	synth_info(s, "OSRELEASE=6.1.0-synthetic");
	synth_info(s, "PAGESIZE=4096");
	static const uint64_t ranges[] = { 0x1000, MEM };
	return synth_write(s, ranges, 1);
}

/* The collector called directly, as the applet did before mdf_cmd existed. */
static kd_err *collect_direct(const char *core, const char *out, unsigned level, enum kd_codec c)
{
	struct kd_dump *in;
	kd_err *e = kd_dump_open(core, &in);
	if (e)
		return e;
	int fd = open(out, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	struct kd_sink *sink = NULL;
	struct kd_collect_opts o = { .dump_level = level, .codec = c };
	struct kd_collect_stats st;
	e = fd < 0 ? kd_err_errno("open %s", out) : kd_sink_file(fd, out, &sink);
	if (!e)
		e = kd_collect(in, sink, &o, &st);
	kd_sink_free(sink);
	if (fd >= 0)
		close(fd);
	kd_dump_close(in);
	return e;
}

static void test_run_collect_flat_reassemble(void)
{
	struct synth s;
	char *core = make_core(&s);
	char *direct = kd_test_tmpfile("mdf-direct"), *flat = kd_test_tmpfile("mdf-flat");
	char *dir = strdup("/tmp/kd-test-mdf-XXXXXX");
	CHECK(core && direct && flat && dir && mkdtemp(dir));
	char out[4200], re[4200];
	snprintf(out, sizeof(out), "%s/dump", dir);
	snprintf(re, sizeof(re), "%s/reassembled", dir);

	CHECK_OK(collect_direct(core, direct, 31, KD_CODEC_ZSTD));
	struct kd_mdf_cmd c;
	CHECK_OK(parse(ARGV("-z", "-d", "31", "--message-level", "0", core, out), &c));
	CHECK_OK(kd_mdf_run(&c, -1, NULL, NULL));
	CHECK(kd_test_same_file(out, direct));
	struct stat st;
	CHECK(stat(out, &st) == 0 && (st.st_mode & 0777) == 0600);

	/* an existing dump is kept unless -f */
	CHECK_ERR_HAS(kd_mdf_run(&c, -1, NULL, NULL), "already exists (use -f to overwrite)");
	CHECK(kd_test_same_file(out, direct));

	/* -F to an fd, then -R from it: the same file */
	int fd = open(flat, O_WRONLY | O_TRUNC);
	CHECK_OK(parse(ARGV("-F", "-z", "-d", "31", "--message-level", "0", core), &c));
	CHECK_OK(kd_mdf_run(&c, fd, flat, NULL));
	close(fd);
	fd = open(flat, O_RDONLY);
	CHECK_OK(parse(ARGV("-R", re), &c));
	FILE *msg = tmpfile();
	CHECK_OK(kd_mdf_run(&c, fd, flat, msg));
	close(fd);
	CHECK(kd_test_same_file(re, direct));
	char line[256] = "";
	rewind(msg);
	CHECK(fgets(line, sizeof(line), msg) && strstr(line, "The dumpfile is saved to") &&
	      strstr(line, "reassembled"));
	fclose(msg);

	/* the messages the level asks for */
	CHECK_OK(parse(ARGV("-f", "-z", "-d", "31", "--message-level", "6", core, out), &c));
	msg = tmpfile();
	CHECK_OK(kd_mdf_run(&c, -1, NULL, msg));
	long n = ftell(msg);
	rewind(msg);
	char all[512] = "";
	CHECK(n > 0 && fread(all, 1, sizeof(all) - 1, msg) == (size_t)n);
	CHECK(strstr(all, "makedumpfile Completed.") != NULL);
	fclose(msg);
	CHECK(kd_test_same_file(out, direct));

	/* a core with no log: --dump-dmesg fails naming the vmcore, and a missing vmcore */
	char log[4200];
	snprintf(log, sizeof(log), "%s/log", dir);
	CHECK_OK(parse(ARGV("--dump-dmesg", core, log), &c));
	CHECK_ERR_HAS(kd_mdf_run(&c, -1, NULL, NULL), core);
	unlink(log);
	CHECK_OK(parse(ARGV("-d", "1", "/nonexistent/vmcore", log), &c));
	CHECK_ERR_HAS(kd_mdf_run(&c, -1, NULL, NULL), "/nonexistent/vmcore");
	CHECK(access(log, F_OK) != 0); /* no dump file for a vmcore that cannot be read */
	CHECK_OK(parse(ARGV("-h"), &c));
	CHECK_FAILS(kd_mdf_run(&c, -1, NULL, NULL));

	unlink(out), unlink(re), unlink(log), rmdir(dir);
	unlink(core), unlink(direct), unlink(flat);
	free(core), free(direct), free(flat), free(dir);
	synth_free(&s);
}

static void test_collector_cmd(void)
{
	struct kd_mdf_cmd c;
	/* -F or not, the caller's output decides */
	CHECK_OK(kd_mdf_collector_cmd(ARGV("-F", "-l", "-d", "31"), "/proc/vmcore", "/d/vmcore",
				      &c));
	CHECK(c.mode == KD_MDF_COLLECT && c.opts.codec == KD_CODEC_LZO && c.opts.dump_level == 31);
	CHECK_STR(c.vmcore, "/proc/vmcore");
	CHECK_STR(c.output, "/d/vmcore");
	CHECK_OK(kd_mdf_collector_cmd(ARGV("-c", "-d", "17", "--num-threads", "2"), "/proc/vmcore",
				      NULL, &c));
	CHECK(c.mode == KD_MDF_FLAT && c.output == NULL && c.opts.threads == 2);
	CHECK_OK(kd_mdf_collector_cmd(ARGV("-E", "-d", "1"), "v", "o", &c));
	CHECK(c.opts.elf && c.mode == KD_MDF_COLLECT);
	CHECK_ERR_HAS(kd_mdf_collector_cmd(((char *[]){ "cp", NULL }), "v", "o", &c), "is a copy");
	CHECK_ERR_HAS(kd_mdf_collector_cmd(ARGV("-d", "31", "x"), "v", "o", &c), "file argument");
}

static void test_quiet(void) { kd_log_set_level(KD_LOG_ERROR); CHECK(1); }

TEST_MAIN(T(test_quiet), T(test_parse_defaults), T(test_parse_every_option),
	  T(test_parse_errors), T(test_check_collector), T(test_collector_cmd),
	  T(test_run_collect_flat_reassemble))
