#include <stdint.h>
#include <stdlib.h>

#include "base/cmdline.h"
#include "test.h"

static char *roundtrip_after(const char *in, void (*edit)(struct kd_cmdline *))
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse(in, &cl));
	if (edit)
		edit(&cl);
	char *s = kd_cmdline_str(&cl);
	kd_cmdline_free(&cl);
	return s;
}

static void splits_like_the_kernel(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("  BOOT_IMAGE=/vmlinuz-6.1 root=UUID=ab-cd ro  quiet\t"
				  "dyndbg=\"file foo.c +p\" \"acpi_osi=Windows 2009\" nosmp", &cl));
	CHECK_U64(cl.count, 7);
	CHECK_STR(cl.params[0].key, "BOOT_IMAGE");
	CHECK_STR(cl.params[0].value, "/vmlinuz-6.1");
	CHECK_STR(cl.params[1].key, "root");
	CHECK_STR(cl.params[1].value, "UUID=ab-cd"); /* split at the first '=' */
	CHECK_STR(cl.params[2].key, "ro");
	CHECK(cl.params[2].value == NULL);
	CHECK_STR(cl.params[4].key, "dyndbg");
	CHECK_STR(cl.params[4].value, "file foo.c +p");
	CHECK_STR(cl.params[4].raw, "dyndbg=\"file foo.c +p\"");
	CHECK_STR(cl.params[5].key, "acpi_osi");
	CHECK_STR(cl.params[5].value, "Windows 2009");
	CHECK_STR(cl.params[6].key, "nosmp");
	CHECK_U64(cl.params[1].offset, 26);
	CHECK(cl.init_args == NULL);
	kd_cmdline_free(&cl);
}

static void empty_value_and_empty_line(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("", &cl));
	CHECK_U64(cl.count, 0);
	kd_cmdline_free(&cl);
	CHECK_OK(kd_cmdline_parse("console= foo=\"\"", &cl));
	CHECK_U64(cl.count, 2);
	CHECK_STR(cl.params[0].value, "");
	CHECK_STR(cl.params[1].value, "");
	kd_cmdline_free(&cl);
}

static void unterminated_quote_runs_to_the_end(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("a=\"b c d", &cl));
	CHECK_U64(cl.count, 1);
	CHECK_STR(cl.params[0].value, "b c d");
	kd_cmdline_free(&cl);
}

static void init_args_are_kept(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("console=ttyS0 quiet -- --firecracker-init --addr 0.0.0.0:2024", &cl));
	CHECK_U64(cl.count, 2);
	CHECK_STR(cl.init_args, "--firecracker-init --addr 0.0.0.0:2024");
	CHECK_OK(kd_cmdline_append(&cl, "irqpoll", NULL));
	char *s = kd_cmdline_str(&cl);
	CHECK_STR(s, "console=ttyS0 quiet irqpoll -- --firecracker-init --addr 0.0.0.0:2024");
	free(s);
	kd_cmdline_free(&cl);
}

static void drop_for_panic(struct kd_cmdline *cl)
{
	CHECK_U64(kd_cmdline_remove(cl, "BOOT_IMAGE"), 1);
	CHECK_U64(kd_cmdline_remove(cl, "crashkernel"), 2);
	CHECK_U64(kd_cmdline_remove(cl, "not_there"), 0);
	CHECK_OK(kd_cmdline_append(cl, "irqpoll", NULL));
	CHECK_OK(kd_cmdline_append(cl, "nr_cpus", "1"));
	CHECK_OK(kd_cmdline_append(cl, "dyndbg", "module kexec +p"));
}

static void remove_and_append(void)
{
	char *s = roundtrip_after("BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 crashkernel=256M ro "
				  "crashkernel=1G,high", drop_for_panic);
	CHECK_STR(s, "root=/dev/vda1 ro irqpoll nr_cpus=1 dyndbg=\"module kexec +p\"");
	free(s);
}

static void dash_and_underscore_are_one(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("panic-on-oops=1 panic_on_oops=0 foo", &cl));
	int found;
	CHECK_STR(kd_cmdline_get(&cl, "panic_on_oops", &found), "0");
	CHECK(found);
	CHECK(kd_cmdline_get(&cl, "foo", &found) == NULL && found);
	CHECK(kd_cmdline_get(&cl, "bar", &found) == NULL && !found);
	CHECK_OK(kd_cmdline_set(&cl, "panic-on-oops", "2"));
	char *s = kd_cmdline_str(&cl);
	CHECK_STR(s, "foo panic-on-oops=2");
	free(s);
	kd_cmdline_free(&cl);
}

static void bad_edits_are_refused(void)
{
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse("a", &cl));
	CHECK_FAILS(kd_cmdline_append(&cl, "", "x"));
	CHECK_FAILS(kd_cmdline_append(&cl, "a b", "x"));
	CHECK_FAILS(kd_cmdline_append(&cl, "k", "say \"hi\""));
	CHECK_FAILS(kd_cmdline_append(&cl, "--", NULL));
	CHECK_U64(cl.count, 1);
	kd_cmdline_free(&cl);
}

static void this_machines_command_line(void)
{
	FILE *f = fopen(kd_test_fixture("base/fixtures/cmdline-dev-vm.txt"), "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[4096] = "";
	CHECK(fgets(line, sizeof(line), f) != NULL);
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	struct kd_cmdline cl;
	CHECK_OK(kd_cmdline_parse(line, &cl));
	CHECK_STR(kd_cmdline_get(&cl, "console", NULL), "ttyS0");
	CHECK_STR(kd_cmdline_get(&cl, "rdinit", NULL), "/process_api");
	CHECK_STR(kd_cmdline_get(&cl, "mitigations", NULL), "auto,no_guest_host,no_guest_guest");
	CHECK(cl.init_args != NULL && strncmp(cl.init_args, "--firecracker-init", 18) == 0);
	char *s = kd_cmdline_str(&cl);
	CHECK_STR(s, line); /* single-spaced input survives unchanged */
	free(s);
	kd_cmdline_free(&cl);
}

TEST_MAIN(T(splits_like_the_kernel), T(empty_value_and_empty_line),
	  T(unterminated_quote_runs_to_the_end), T(init_args_are_kept), T(remove_and_append),
	  T(dash_and_underscore_are_one), T(bad_edits_are_refused), T(this_machines_command_line))
