/* The embedded purgatory, laid out and relocated by the loader, then run: the image is mapped
 * at the very address it was relocated for and its own kd_purgatory_verify() is called on host
 * buffers (user addresses stand in for the identity-mapped physical ones). That proves every
 * relocation the real code uses, not only the arithmetic. Also: bad objects are refused. */
#include <elf.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kexec/purgatory_image.h"
#include "purgatory/object.h"
#include "purgatory/sha256.h"
#include "purgatory/verify.h"
#include "test.h"

#define RUN_ADDR 0x5a5a00000000ULL

static size_t object_len(void)
{
	return (size_t)(kd_purgatory_object_end - kd_purgatory_object);
}

static void test_layout_and_symbols(void)
{
	struct kd_purgatory p;
	CHECK_OK(kd_purgatory_open(kd_purgatory_object, object_len(), &p));
	CHECK(p.size > 4096 && p.size < 65536);
	CHECK(p.align >= 16 && p.align <= 4096);
	uint64_t off, size;
	static const struct { const char *name; uint64_t size; } want[] = {
		{ "kd_purgatory_regions", sizeof(struct kd_purgatory_region) * KD_PURGATORY_MAX_REGIONS },
		{ "kd_purgatory_digest", KD_SHA256_DIGEST_SIZE },
		{ "kd_purgatory_boot_params", 8 },
		{ "kd_purgatory_kernel_entry", 8 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_OK(kd_purgatory_symbol(&p, want[i].name, &off, &size));
		CHECK_U64(size, want[i].size);
		CHECK(off + size <= p.size);
	}
	CHECK_OK(kd_purgatory_symbol(&p, "kd_purgatory_start", &off, &size));
	CHECK(off < p.size);
	CHECK_FAILS(kd_purgatory_symbol(&p, "no_such_symbol", &off, &size));
	uint64_t v = 0x1234;
	CHECK_FAILS(kd_purgatory_set(&p, "kd_purgatory_digest", &v, sizeof(v))); /* wrong size */
	CHECK_OK(kd_purgatory_set(&p, "kd_purgatory_boot_params", &v, sizeof(v)));
	CHECK_OK(kd_purgatory_symbol(&p, "kd_purgatory_boot_params", &off, &size));
	CHECK(!memcmp(p.image + off, &v, 8));
	CHECK_FAILS(kd_purgatory_relocate(&p, 0x1008)); /* misaligned */
	CHECK_OK(kd_purgatory_relocate(&p, 0x100000));
	CHECK_FAILS(kd_purgatory_relocate(&p, 0x200000)); /* twice */
	kd_purgatory_close(&p);
}

/* The GDT descriptor's base is an absolute address: it must move with the load address. */
static void test_relocation_moves_absolutes(void)
{
	struct kd_purgatory a, b;
	CHECK_OK(kd_purgatory_open(kd_purgatory_object, object_len(), &a));
	CHECK_OK(kd_purgatory_open(kd_purgatory_object, object_len(), &b));
	CHECK_OK(kd_purgatory_relocate(&a, 0x1000000));
	CHECK_OK(kd_purgatory_relocate(&b, 0x7f000000));
	/* every byte that differs is part of an 8-byte value moved by exactly the delta */
	uint8_t *covered = calloc(1, a.size);
	size_t moved = 0, stray = 0;
	for (size_t i = 0; i + 8 <= a.size; i++) {
		uint64_t va, vb;
		memcpy(&va, a.image + i, 8);
		memcpy(&vb, b.image + i, 8);
		if (va != vb && vb - va == 0x7f000000 - 0x1000000) {
			moved++;
			memset(covered + i, 1, 8);
		}
	}
	for (size_t i = 0; i < a.size; i++)
		stray += a.image[i] != b.image[i] && !covered[i];
	CHECK(moved >= 1); /* gcc and clang emit different numbers of absolute relocations */
	CHECK_U64(stray, 0);
	/* the GDT descriptor's base (gdt_desc + 2) is one of them, in every build */
	uint64_t off, size, ga, gb;
	CHECK_OK(kd_purgatory_symbol(&a, "gdt_desc", &off, &size));
	memcpy(&ga, a.image + off + 2, 8);
	memcpy(&gb, b.image + off + 2, 8);
	CHECK_U64(gb - ga, 0x7f000000 - 0x1000000);
	free(covered);
	kd_purgatory_close(&a);
	kd_purgatory_close(&b);
}

typedef int (*verify_fn)(void);

static void test_relocated_code_runs(void)
{
	struct kd_purgatory p;
	CHECK_OK(kd_purgatory_open(kd_purgatory_object, object_len(), &p));
	CHECK_OK(kd_purgatory_relocate(&p, RUN_ADDR));
	size_t maplen = (p.size + 4095) & ~(size_t)4095;
	void *m = mmap((void *)(uintptr_t)RUN_ADDR, maplen, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == (void *)(uintptr_t)RUN_ADDR);
	if (m != (void *)(uintptr_t)RUN_ADDR) {
		kd_purgatory_close(&p);
		return;
	}
	/* two "segments" in host memory, hashed in table order */
	size_t la = 100000, lb = 4096;
	uint8_t *sa = malloc(la), *sb = malloc(lb);
	for (size_t i = 0; i < la; i++)
		sa[i] = (uint8_t)(i * 7 + 3);
	memset(sb, 0xab, lb);
	struct kd_purgatory_region r[KD_PURGATORY_MAX_REGIONS] = {
		{ (uint64_t)(uintptr_t)sa, la }, { (uint64_t)(uintptr_t)sb, lb },
	};
	struct kd_sha256 s;
	uint8_t digest[KD_SHA256_DIGEST_SIZE];
	kd_sha256_init(&s);
	kd_sha256_update(&s, sa, la);
	kd_sha256_update(&s, sb, lb);
	kd_sha256_final(&s, digest);
	CHECK_OK(kd_purgatory_set(&p, "kd_purgatory_regions", r, sizeof(r)));
	CHECK_OK(kd_purgatory_set(&p, "kd_purgatory_digest", digest, sizeof(digest)));
	memcpy(m, p.image, p.size);
	uint64_t off, size;
	CHECK_OK(kd_purgatory_symbol(&p, "kd_purgatory_verify", &off, &size));
	verify_fn verify = (verify_fn)(uintptr_t)(RUN_ADDR + off);
	CHECK(verify() == KD_PURGATORY_INTACT);
	sb[lb - 1] ^= 1; /* one bit of one segment */
	CHECK(verify() == KD_PURGATORY_CORRUPT);
	sb[lb - 1] ^= 1;
	CHECK(verify() == KD_PURGATORY_INTACT);
	munmap(m, maplen);
	free(sa);
	free(sb);
	kd_purgatory_close(&p);
}

static void test_bad_objects(void)
{
	struct kd_purgatory p;
	size_t len = object_len();
	uint8_t *o = malloc(len);
	CHECK_FAILS(kd_purgatory_open(kd_purgatory_object, 10, &p));
	memcpy(o, kd_purgatory_object, len);
	o[EI_CLASS] = ELFCLASS32;
	CHECK_FAILS(kd_purgatory_open(o, len, &p));
	memcpy(o, kd_purgatory_object, len);
	((Elf64_Ehdr *)o)->e_type = ET_EXEC;
	CHECK_FAILS(kd_purgatory_open(o, len, &p));
	memcpy(o, kd_purgatory_object, len);
	((Elf64_Ehdr *)o)->e_shoff = len - 8;
	CHECK_FAILS(kd_purgatory_open(o, len, &p));
	/* every truncation is refused or laid out without reading past the end (ASan) */
	for (size_t cut = 0; cut < len; cut += 97) {
		if (!kd_err_ignore(kd_purgatory_open(kd_purgatory_object, cut, &p)))
			kd_purgatory_close(&p);
	}
	/* a relocation pointing at an undefined symbol index */
	memcpy(o, kd_purgatory_object, len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)o;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(o + eh->e_shoff + i * sizeof(Elf64_Shdr));
		if (sh->sh_type == SHT_RELA && sh->sh_size >= sizeof(Elf64_Rela)) {
			Elf64_Rela *r = (Elf64_Rela *)(o + sh->sh_offset);
			r->r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r->r_info));
			break;
		}
	}
	CHECK_OK(kd_purgatory_open(o, len, &p));
	CHECK_FAILS(kd_purgatory_relocate(&p, 0x100000));
	kd_purgatory_close(&p);
	/* section 0 (SHT_NULL) claiming to be allocated bytes far past the end (found by
	 * fuzz/kexec_purgatory: it was copied without a bounds check) */
	memcpy(o, kd_purgatory_object, len);
	Elf64_Shdr *null = (Elf64_Shdr *)(o + eh->e_shoff);
	null->sh_flags = SHF_ALLOC;
	null->sh_offset = 0x896298017ea955ULL;
	null->sh_size = 0xbd;
	CHECK_ERR_HAS(kd_purgatory_open(o, len, &p), "past the end");
	free(o);
}

static void test_reloc_x86_64(void)
{
	uint8_t b[8] = { 0 };
	CHECK_OK(kd_reloc_x86_64(R_X86_64_64, b, 8, 0x1000, 0x20, 0));
	uint64_t v;
	memcpy(&v, b, 8);
	CHECK_U64(v, 0x1020);
	CHECK_OK(kd_reloc_x86_64(R_X86_64_PC32, b, 4, 0x1000, -4, 0x2000));
	int32_t w;
	memcpy(&w, b, 4);
	CHECK(w == -0x1004);
	CHECK_FAILS(kd_reloc_x86_64(R_X86_64_PC32, b, 4, 0x100000000ULL, 0, 0));
	CHECK_FAILS(kd_reloc_x86_64(R_X86_64_64, b, 4, 0, 0, 0)); /* no room */
	CHECK_FAILS(kd_reloc_x86_64(R_X86_64_32S, b, 8, 0, 0, 0));
}

TEST_MAIN(T(test_layout_and_symbols), T(test_relocation_moves_absolutes),
	  T(test_relocated_code_runs), T(test_bad_objects), T(test_reloc_x86_64))
