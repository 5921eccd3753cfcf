/* The EFI state passed to the next kernel: read from a fake /sys/firmware/efi and a fake
 * running boot_params, then laid out in the boot_params segment (efi_info, SETUP_EFI chained
 * in front of the e820 extension, the runtime map where efi_info points). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec/bootparams_x86_64.h"
#include "kexec/efi_x86_64.h"
#include "kexec/testutil.h"
#include "test.h"

static const char *root;

static void put_file(const char *rel, const char *text)
{
	CHECK(tu_root_put_str(rel, text) == 0);
}

static void add_desc(int n, unsigned type, unsigned long long phys, unsigned long long virt,
		     unsigned long long pages)
{
	char d[128], v[64];
	snprintf(d, sizeof(d), "sys/firmware/efi/runtime-map/%d", n);
	const char *f[] = { "type", "phys_addr", "virt_addr", "num_pages", "attribute" };
	unsigned long long val[] = { type, phys, virt, pages, 0x800000000000000fULL };
	for (int i = 0; i < 5; i++) {
		char rel[192];
		snprintf(rel, sizeof(rel), "%s/%s", d, f[i]);
		snprintf(v, sizeof(v), "0x%llx\n", val[i]);
		put_file(rel, v);
	}
}

static uint8_t running[4096];

static void setup_root(void)
{
	root = tu_root_new("efi");
	CHECK(root != NULL);
	add_desc(0, 5, 0x3f9e0000, 0xfffffffeffc00000ULL, 0x20);
	add_desc(1, 6, 0x3fa00000, 0xfffffffeffbe0000ULL, 0x10);
	add_desc(10, 11, 0xffc00000, 0xfffffffeff800000ULL, 0x400); /* after 1, not before 2 */
	add_desc(2, 6, 0x3fa10000, 0xfffffffeffbd0000ULL, 0x1);
	put_file("sys/firmware/efi/fw_vendor", "0x3f9ec098\n");
	put_file("sys/firmware/efi/config_table", "0x3f9eb018\n");
	put_file("sys/firmware/efi/runtime", "0x3f9ebb98\n");
	put_file("sys/firmware/efi/systab", "ACPI20=0x3fb7e014\nACPI=0x3fb7e000\nSMBIOS=0x3f918000\n");
	memset(running, 0, sizeof(running));
	uint32_t sig = 0x34364c45, systab = 0x3f9ec018, ver = 1, hi = 0;
	memcpy(running + 0x1c0, &sig, 4);
	memcpy(running + 0x1c4, &systab, 4);
	memcpy(running + 0x1cc, &ver, 4);
	memcpy(running + 0x1d8, &hi, 4);
	running[0x1ec] = 3;
}

static uint64_t rd64(const uint8_t *b) { uint64_t v; memcpy(&v, b, 8); return v; }
static uint32_t rd32(const uint8_t *b) { uint32_t v; memcpy(&v, b, 4); return v; }

static void test_read(void)
{
	setup_root();
	struct kd_efi_state st;
	CHECK_OK(kd_efi_read(root, running, sizeof(running), &st));
	CHECK(st.present);
	CHECK_U64(st.systab, 0x3f9ec018);
	CHECK_U64(st.loader_signature, 0x34364c45);
	CHECK_U64(st.fw_vendor, 0x3f9ec098);
	CHECK_U64(st.tables, 0x3f9eb018);
	CHECK_U64(st.smbios, 0x3f918000);
	CHECK_U64(st.secure_boot, 3);
	CHECK_U64(st.map_len, 4 * KD_EFI_MEMDESC_SIZE);
	/* numeric order: 0, 1, 2, 10 */
	CHECK_U64(rd64(st.map + 2 * 40 + 8), 0x3fa10000);
	CHECK_U64(rd64(st.map + 3 * 40 + 8), 0xffc00000);
	CHECK_U64(rd32(st.map + 3 * 40), 11);
	CHECK_U64(rd64(st.map + 3 * 40 + 16), 0xfffffffeff800000ULL);
	CHECK_U64(rd64(st.map + 3 * 40 + 24), 0x400);
	CHECK_U64(rd64(st.map + 3 * 40 + 32), 0x800000000000000fULL);
	kd_efi_free(&st);
	/* no running boot_params, or a BIOS machine: nothing to pass, no error */
	CHECK_OK(kd_efi_read(root, NULL, 0, &st));
	CHECK(!st.present);
	CHECK_OK(kd_efi_read("/nonexistent-root", running, sizeof(running), &st));
	CHECK(!st.present);
	/* EFI without a runtime map (CONFIG_EFI_RUNTIME_MAP off): a clear error */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/sys/firmware/efi/runtime-map", root);
	CHECK(system(cmd) == 0);
	CHECK_FAILS(kd_efi_read(root, running, sizeof(running), &st));
	tu_root_drop();
}

static void test_layout(void)
{
	setup_root();
	struct kd_efi_state st;
	CHECK_OK(kd_efi_read(root, running, sizeof(running), &st));
	struct kd_e820 m = { 0 };
	for (int i = 0; i < 130; i++)
		CHECK_OK(kd_e820_add(&m, 0x100000ULL * (uint64_t)(i + 1), 0x1000, KD_E820_RAM));
	struct kd_bootparams_req rq = { .cmdline = "console=ttyS0", .kernel_addr = 0x1000000,
					.e820 = &m, .efi = &st };
	size_t size = kd_bootparams_size(&rq);
	uint8_t *buf = malloc(size);
	uint64_t addr = 0x2e000000;
	CHECK_OK(kd_bootparams_build(&rq, addr, buf));
	/* efi_info */
	CHECK_U64(rd32(buf + 0x1c0), 0x34364c45);
	CHECK_U64(rd32(buf + 0x1c4), 0x3f9ec018);
	CHECK_U64(rd32(buf + 0x1c8), KD_EFI_MEMDESC_SIZE);
	CHECK_U64(rd32(buf + 0x1d4), 4 * KD_EFI_MEMDESC_SIZE);
	uint64_t map = rd32(buf + 0x1d0) | (uint64_t)rd32(buf + 0x1dc) << 32;
	CHECK(map > addr && map - addr + 4 * KD_EFI_MEMDESC_SIZE == size);
	CHECK(!memcmp(buf + (map - addr), st.map, st.map_len));
	CHECK_U64(buf[0x1ec], 3);
	/* setup_data: SETUP_EFI first, then SETUP_E820_EXT */
	uint64_t sd = rd64(buf + 0x250);
	CHECK(sd > addr && sd < map && sd % 8 == 0);
	const uint8_t *efi = buf + (sd - addr);
	CHECK_U64(rd32(efi + 8), KD_SETUP_EFI);
	CHECK_U64(rd32(efi + 12), KD_EFI_SETUP_DATA_LEN);
	CHECK_U64(rd64(efi + 16), 0x3f9ec098);
	CHECK_U64(rd64(efi + 32), 0x3f9eb018);
	CHECK_U64(rd64(efi + 40), 0x3f918000);
	uint64_t next = rd64(efi);
	CHECK(next > addr && next < sd);
	CHECK_U64(rd32(buf + (next - addr) + 8), KD_BP_SETUP_E820_EXT);
	CHECK_U64(rd64(buf + (next - addr)), 0);
	free(buf);
	/* without the e820 extension SETUP_EFI is the whole chain */
	m.n = 3;
	size = kd_bootparams_size(&rq);
	buf = malloc(size);
	CHECK_OK(kd_bootparams_build(&rq, addr, buf));
	sd = rd64(buf + 0x250);
	CHECK_U64(rd32(buf + (sd - addr) + 8), KD_SETUP_EFI);
	CHECK_U64(rd64(buf + (sd - addr)), 0);
	free(buf);
	kd_e820_free(&m);
	kd_efi_free(&st);
	tu_root_drop();
}

TEST_MAIN(T(test_read), T(test_layout))
