/* The configuration files the package installs (data/kdump.conf, data/sysconfig-kdump) and the
 * kdump-tools example it ships: read by the real parser they give the documented defaults, and
 * every example line in them, uncommented on its own, is accepted. */
#include <stdlib.h>
#include <string.h>

#include "service/config.h"
#include "test.h"

static struct kd_svc_config_source src(const char *name, const char *text)
{
	struct kd_svc_config_source s = { name, text, text ? strlen(text) : 0 };
	return s;
}

static char *slurp_data(const char *file, struct kd_svc_config_source *s)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "../data/%s", file);
	size_t len = 0;
	char *text = (char *)kd_test_slurp(kd_test_fixture(rel), &len);
	CHECK(text != NULL);
	if (text)
		text[len] = 0;
	*s = src(file, text);
	return text;
}

static void shipped_files_give_the_defaults(void)
{
	struct kd_svc_config_source conf, sys, none = src("kdump-tools", NULL);
	char *a = slurp_data("kdump.conf", &conf), *b = slurp_data("sysconfig-kdump", &sys);
	struct kd_svc_config c;
	memset(&c, 0, sizeof(c));
	CHECK_OK(kd_svc_config_parse(&conf, &sys, &none, 0, &c));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK(c.target == KD_TGT_PATH);
	CHECK_STR(c.path, "/var/crash");
	CHECK_STR(c.core_collector, "makedumpfile -l --message-level 7 -d 31");
	CHECK(c.failure_action == KD_ACT_REBOOT);
	CHECK(c.final_action == KD_ACT_REBOOT);
	CHECK(!c.force_rebuild && !c.force_no_rebuild);
	CHECK(c.use_kdump == 1);
	CHECK(!c.kernel && !c.initrd && !c.cmdline && !c.cmdline_append && !c.kexec_args);
	CHECK(!c.extra_modules && !c.kdump_pre && !c.kdump_post);
	kd_svc_config_free(&c);
	free(a);
	free(b);
}

/* The example /etc/default/kdump-tools sets nothing: kdump.conf's conventions stay, unless the
 * program runs as kdump-config, which gets kdump-tools' defaults. */
static void kdump_tools_example_sets_nothing(void)
{
	struct kd_svc_config_source conf, tools, none = src("sysconfig", NULL);
	char *a = slurp_data("kdump.conf", &conf), *b = slurp_data("kdump-tools.default", &tools);
	struct kd_svc_config c;
	memset(&c, 0, sizeof(c));
	CHECK_OK(kd_svc_config_parse(&conf, &none, &tools, 0, &c));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	kd_svc_config_free(&c);
	memset(&c, 0, sizeof(c));
	CHECK_OK(kd_svc_config_parse(&conf, &none, &tools, 1, &c));
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK_STR(c.path, "/var/crash");
	CHECK_STR(c.core_collector, "makedumpfile -c -d 31");
	CHECK_STR(c.sysctl, "kernel.panic_on_oops=1");
	CHECK(c.num_dumps == 0);
	CHECK(c.dump_dmesg == 1);
	kd_svc_config_free(&c);
	free(a);
	free(b);
}

/* Each commented-out example ("#directive value", "#VAR=value") alone in its file. kdump_pre
 * and kdump_post name programs that do not exist here: those must fail, naming the program. */
static void each_example_line_parses(const char *file, int which)
{
	struct kd_svc_config_source s;
	char *text = slurp_data(file, &s);
	if (!text)
		return;
	unsigned examples = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] != '#' || !((line[1] >= 'a' && line[1] <= 'z') ||
					(line[1] >= 'A' && line[1] <= 'Z')))
			continue;
		examples++;
		struct kd_svc_config_source one = src(file, line + 1), none = src("none", NULL);
		struct kd_svc_config c;
		memset(&c, 0, sizeof(c));
		kd_err *e = kd_svc_config_parse(which == 0 ? &one : &none, which == 1 ? &one : &none,
						which == 2 ? &one : &none, which == 2, &c);
		int program = !strncmp(line + 1, "kdump_pre ", 10) || !strncmp(line + 1, "kdump_post ", 11);
		char msg[1024] = "";
		if (e)
			kd_err_format(e, msg, sizeof(msg));
		if (program) {
			CHECK(e != NULL && strstr(msg, strchr(line, ' ') + 1));
		} else {
			CHECK(e == NULL);
			if (e)
				fprintf(stderr, "  %s: \"%s\": %s\n", file, line + 1, msg);
		}
		kd_err_free(e);
		kd_svc_config_free(&c);
	}
	CHECK(examples >= 5);
	free(text);
}

static void kdump_conf_examples(void) { each_example_line_parses("kdump.conf", 0); }
static void sysconfig_examples(void) { each_example_line_parses("sysconfig-kdump", 1); }
static void kdump_tools_examples(void) { each_example_line_parses("kdump-tools.default", 2); }

TEST_MAIN(T(shipped_files_give_the_defaults), T(kdump_tools_example_sets_nothing),
	  T(kdump_conf_examples), T(sysconfig_examples), T(kdump_tools_examples))
