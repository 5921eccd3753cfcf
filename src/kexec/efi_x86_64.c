#include "kexec/efi_x86_64.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexec/sysfs_file.h"

#define EFI_DIR "/sys/firmware/efi"
#define BP_EFI_INFO 0x1c0
#define BP_SECURE_BOOT 0x1ec
#define MAX_DESCS 4096

static kd_err *read_hex(const char *root, const char *rel, uint64_t *v)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	return kd_sysfs_hex(path, v);
}

/* SMBIOS (or SMBIOS3) from the systab listing, 0 if none */
static uint64_t systab_smbios(const char *root)
{
	char path[4096], line[128];
	uint64_t v = 0, v3 = 0;
	snprintf(path, sizeof(path), "%s%s/systab", root, EFI_DIR);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "SMBIOS=", 7))
			v = strtoull(line + 7, NULL, 16);
		else if (!strncmp(line, "SMBIOS3=", 8))
			v3 = strtoull(line + 8, NULL, 16);
	}
	fclose(f);
	return v ? v : v3;
}

static int cmp_num(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static void put32(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); }
static void put64(uint8_t *b, uint64_t v) { memcpy(b, &v, 8); }

/* runtime-map/N/{type,phys_addr,virt_addr,num_pages,attribute}, in N order */
static kd_err *read_runtime_map(const char *root, struct kd_efi_state *st)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s/runtime-map", root, EFI_DIR);
	DIR *d = opendir(dir);
	if (!d)
		return kd_err_errno("opening %s (CONFIG_EFI_RUNTIME_MAP?)", dir);
	long nums[MAX_DESCS];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < MAX_DESCS) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && !*end)
			nums[n++] = v;
	}
	closedir(d);
	if (n == 0)
		return kd_err_new(ENOENT, "%s is empty", dir);
	qsort(nums, n, sizeof(nums[0]), cmp_num);
	st->map = calloc(n, KD_EFI_MEMDESC_SIZE);
	if (!st->map)
		return kd_err_new(ENOMEM, "EFI runtime map");
	static const char *const fields[] = { "type", "phys_addr", "virt_addr", "num_pages",
					      "attribute" };
	for (size_t i = 0; i < n; i++) {
		uint64_t v[5];
		for (size_t k = 0; k < 5; k++) {
			char rel[4096];
			snprintf(rel, sizeof(rel), "%s/runtime-map/%ld/%s", EFI_DIR, nums[i], fields[k]);
			kd_err *e = read_hex(root, rel, &v[k]);
			if (e)
				return e;
		}
		/* efi_memory_desc_t: type, pad, phys_addr, virt_addr, num_pages, attribute */
		uint8_t *m = st->map + i * KD_EFI_MEMDESC_SIZE;
		put32(m, (uint32_t)v[0]);
		put64(m + 8, v[1]);
		put64(m + 16, v[2]);
		put64(m + 24, v[3]);
		put64(m + 32, v[4]);
	}
	st->map_len = n * KD_EFI_MEMDESC_SIZE;
	return NULL;
}

kd_err *kd_efi_read(const char *root, const uint8_t *running, size_t running_len,
		    struct kd_efi_state *st)
{
	memset(st, 0, sizeof(*st));
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s", root, EFI_DIR);
	DIR *d = opendir(dir);
	if (!d)
		return NULL; /* not booted through EFI */
	closedir(d);
	if (!running || running_len < 4096)
		return NULL; /* without the running kernel's efi_info there is nothing to pass */
	const uint8_t *ei = running + BP_EFI_INFO;
	memcpy(&st->loader_signature, ei, 4);
	memcpy(&st->systab, ei + 4, 4);
	memcpy(&st->memdesc_version, ei + 12, 4);
	memcpy(&st->systab_hi, ei + 24, 4);
	st->secure_boot = running[BP_SECURE_BOOT];
	if (!st->systab && !st->systab_hi)
		return NULL;
	kd_err *e = read_runtime_map(root, st);
	if (!e)
		e = read_hex(root, EFI_DIR "/fw_vendor", &st->fw_vendor);
	if (!e)
		e = read_hex(root, EFI_DIR "/config_table", &st->tables);
	if (!e && kd_err_ignore(read_hex(root, EFI_DIR "/runtime", &st->runtime)))
		st->runtime = 0;
	if (e) {
		kd_efi_free(st);
		return kd_err_wrap(e, "reading the EFI state to pass on");
	}
	st->smbios = systab_smbios(root);
	st->present = 1;
	return NULL;
}

void kd_efi_free(struct kd_efi_state *st)
{
	free(st->map);
	memset(st, 0, sizeof(*st));
}
