#include <errno.h>

#include "test.h"
#include "vmcore/vmcoreinfo.h"

/* The start of a real one (Debian 6.1, from the crash lab), plus hostile lines. */
static const char text[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=3b43fad503487449049249 5d552c0af6a5fab235\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffbbdf9b60\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SIZE(page)=64\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(phys_base)=23068672\n"
	"KERNELOFFSET=39200000\n"
	"CRASHTIME=1795382298\n"
	"no equals sign here\n"
	"=empty key\n"
	"\n"
	"SYMBOL(bad)=xyz\n"
	"NUMBER(huge)=99999999999999999999\n"
	"SIZE(page)=80\n"
	"\0\0\0";

static void typed_lookups(void)
{
	struct kd_vmcoreinfo *vi = NULL;
	CHECK_OK(kd_vmcoreinfo_parse(text, sizeof(text) - 1, &vi));
	if (!vi)
		return;
	uint64_t v;
	int64_t n;
	CHECK_STR(kd_vmcoreinfo_get(vi, "OSRELEASE"), "6.1.0-56-cloud-amd64");
	CHECK_OK(kd_vmcoreinfo_symbol(vi, "init_uts_ns", &v));
	CHECK_U64(v, 0xffffffffbbdf9b60ULL);
	CHECK_OK(kd_vmcoreinfo_offset(vi, "uts_namespace.name", &v));
	CHECK_U64(v, 0);
	CHECK_OK(kd_vmcoreinfo_size(vi, "page", &v));
	CHECK_U64(v, 80); /* the last line wins */
	CHECK_OK(kd_vmcoreinfo_length(vi, "zone.free_area", &v));
	CHECK_U64(v, 11);
	CHECK_OK(kd_vmcoreinfo_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &n));
	CHECK_U64(n, (uint64_t)-129);
	CHECK_OK(kd_vmcoreinfo_number(vi, "phys_base", &n));
	CHECK_U64(n, 0x1600000);
	CHECK_OK(kd_vmcoreinfo_hex(vi, "KERNELOFFSET", &v));
	CHECK_U64(v, 0x39200000);
	CHECK_OK(kd_vmcoreinfo_dec(vi, "CRASHTIME", &v));
	CHECK_U64(v, 1795382298);
	CHECK_U64(kd_vmcoreinfo_bad_lines(vi), 2);
	size_t len;
	const char *t = kd_vmcoreinfo_text(vi, &len);
	CHECK_U64(len, sizeof(text) - 4); /* trailing NULs dropped */
	CHECK(t && !strncmp(t, "OSRELEASE=", 10));
	kd_vmcoreinfo_free(vi);
}

static void errors_name_the_key(void)
{
	struct kd_vmcoreinfo *vi = NULL;
	CHECK_OK(kd_vmcoreinfo_parse(text, sizeof(text) - 1, &vi));
	if (!vi)
		return;
	uint64_t v;
	int64_t n;
	kd_err *e = kd_vmcoreinfo_symbol(vi, "prb", &v);
	CHECK_U64(kd_err_errnum(e), ENOENT);
	char buf[128];
	kd_err_format(e, buf, sizeof(buf));
	CHECK_STR(buf, "VMCOREINFO has no SYMBOL(prb): No such file or directory");
	kd_err_free(e);
	e = kd_vmcoreinfo_symbol(vi, "bad", &v);
	CHECK_U64(kd_err_errnum(e), EINVAL);
	kd_err_free(e);
	e = kd_vmcoreinfo_number(vi, "huge", &n);
	CHECK_U64(kd_err_errnum(e), EINVAL);
	kd_err_free(e);
	e = kd_vmcoreinfo_dec(vi, "OSRELEASE", &v);
	CHECK_U64(kd_err_errnum(e), EINVAL);
	kd_err_free(e);
	kd_vmcoreinfo_free(vi);
}

static void empty_and_binary(void)
{
	struct kd_vmcoreinfo *vi = NULL;
	CHECK_OK(kd_vmcoreinfo_parse("", 0, &vi));
	CHECK(vi && kd_vmcoreinfo_get(vi, "OSRELEASE") == NULL);
	kd_vmcoreinfo_free(vi);
	static const char bin[] = "A=1\nB\0=2\nC=3";
	CHECK_OK(kd_vmcoreinfo_parse(bin, sizeof(bin) - 1, &vi));
	if (!vi)
		return;
	CHECK_STR(kd_vmcoreinfo_get(vi, "A"), "1");
	CHECK(kd_vmcoreinfo_get(vi, "B") == NULL);
	CHECK_STR(kd_vmcoreinfo_get(vi, "C"), "3");
	CHECK_U64(kd_vmcoreinfo_bad_lines(vi), 1);
	kd_vmcoreinfo_free(vi);
}

TEST_MAIN(T(typed_lookups), T(errors_name_the_key), T(empty_and_binary))
