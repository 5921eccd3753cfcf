/* Fixtures for the kmod and initramfs tests: tiny ELF modules with a .modinfo section,
 * compressed the way distributions ship them, and a fake sysfs tree. */
#ifndef KD_TEST_KMOD_FIXTURE_H
#define KD_TEST_KMOD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* An ELF64 relocatable with .modinfo "name=<name>\0depends=<depends>\0[softdep=...\0]" and
 * `pad` bytes of filler (so modules have a size); malloc'd. */
uint8_t *fx_fake_ko(const char *name, const char *depends, const char *softdep, size_t pad,
		    size_t *len);
/* Write buf to path, compressed by "xz" (CRC32 check), "zst", "gz" or "" (plain). 0: ok. */
int fx_write(const char *path, const void *buf, size_t len, const char *fmt);
/* mkdir -p of dirname(root/rel) then write a file. */
int fx_file(const char *root, const char *rel, const char *text);
/* root/link -> a relative symlink to root/target (both relative to root), parents made. */
int fx_symlink(const char *root, const char *link, const char *target);
/* A QEMU-like tree under root/sys: vda (vda1) on virtio1 on PCI 0000:00:04.0, drivers
 * virtio_blk and virtio-pci (modules virtio_blk, virtio_pci), the host bridge with a built-in
 * driver; dm-0 on vda1. */
int fx_sysfs_virtio(const char *root);
/* A fresh directory /tmp/kd-test-TAG-XXXXXX (malloc'd); rm -rf with fx_rmtree. */
char *fx_tmpdir(const char *tag);
void fx_rmtree(const char *dir);

#endif

#ifndef KD_TEST_CPIO_FIND
#define KD_TEST_CPIO_FIND
/* Look up `name` (no leading '/') in a newc archive: 1 found (data, size, mode, rdev filled),
 * 0 not found, -1 malformed. */
int fx_cpio_find(const uint8_t *buf, size_t len, const char *name, const uint8_t **data,
		 uint32_t *size, uint32_t *mode, uint32_t *rmaj, uint32_t *rmin);
#endif
