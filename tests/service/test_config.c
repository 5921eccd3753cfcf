/* The service's configuration: kdump.conf, /etc/sysconfig/kdump and /etc/default/kdump-tools
 * parsed as data, the personality rule, the errors (each message checked for file:line and the
 * advice), the files against each other, and the snapshot round trip. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "service/config.h"
#include "test.h"

static struct kd_svc_config c;

static kd_err *parse3(const char *kc, const char *sc, const char *kt, int as_tools)
{
	struct kd_svc_config_source a = { "/etc/kdump.conf", kc, kc ? strlen(kc) : 0 };
	struct kd_svc_config_source b = { "/etc/sysconfig/kdump", sc, sc ? strlen(sc) : 0 };
	struct kd_svc_config_source t = { "/etc/default/kdump-tools", kt, kt ? strlen(kt) : 0 };
	kd_svc_config_free(&c);
	return kd_svc_config_parse(&a, &b, &t, as_tools, &c);
}
#define KC(s) parse3((s), NULL, NULL, 0)
#define SC(s) parse3(NULL, (s), NULL, 0)
#define KT(s) parse3(NULL, NULL, (s), 0)

static int is_empty(const struct kd_svc_config *x)
{
	static const struct kd_svc_config zero;
	return !memcmp(x, &zero, sizeof(zero));
}

/* Log output of one call, for warnings and debug notes. */
static char logbuf[8192];
static FILE *log_start(void)
{
	FILE *f = fmemopen(logbuf, sizeof(logbuf), "w");
	kd_log_set_stream(f);
	kd_log_set_level(KD_LOG_DEBUG);
	return f;
}
static void log_end(FILE *f)
{
	fflush(f);
	fclose(f);
	kd_log_set_stream(NULL);
	kd_log_set_level(KD_LOG_WARN);
}

static char *slurp_fixture(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "service/fixtures/config/%s", name);
	size_t len;
	char *s = (char *)kd_test_slurp(kd_test_fixture(rel), &len);
	if (s)
		s[len] = '\0';
	return s;
}

/* ---- defaults and personality ---- */

static void defaults_kdump_conf(void)
{
	CHECK_OK(KC(NULL));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK(c.target == KD_TGT_PATH);
	CHECK_STR(c.path, "/var/crash");
	CHECK_STR(c.core_collector, "makedumpfile -l --message-level 7 -d 31");
	CHECK_STR(c.collector_argv[0], "makedumpfile");
	CHECK_STR(c.collector_argv[4], "-d");
	CHECK_STR(c.collector_argv[5], "31");
	CHECK(c.collector_argv[6] == NULL);
	CHECK(c.failure_action == KD_ACT_REBOOT && c.final_action == KD_ACT_REBOOT);
	CHECK(c.use_kdump == 1 && c.dump_dmesg == 1 && c.num_dumps == 0);
	CHECK(c.extra_modules == NULL && c.kdump_pre == NULL && c.kernel == NULL);
	CHECK(c.sysctl == NULL && c.hosttag == NULL && c.sshkey == NULL);
	CHECK(c.nfs_timeo == 600 && c.nfs_retrans == 3);
	CHECK(c.nfs_mount_retry == 4 && c.ssh_retry == 16);
	/* empty files, comments and blank lines only: the same */
	CHECK_OK(parse3("\n# nothing\n   \n\t# indented\n", "# x\n\n", "#USE_KDUMP=1\n", 0));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK_STR(c.path, "/var/crash");
}

static void defaults_kdump_tools(void)
{
	CHECK_OK(parse3(NULL, NULL, NULL, 1));
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK_STR(c.core_collector, "makedumpfile -c -d 31");
	CHECK_STR(c.collector_argv[1], "-c");
	CHECK_STR(c.path, "/var/crash");
	CHECK_STR(c.sysctl, "kernel.panic_on_oops=1");
	CHECK_STR(c.hosttag, "ip");
	CHECK(c.use_kdump == 0); /* kdump-tools: unset USE_KDUMP means do not load */
	CHECK(c.dump_dmesg == 1 && c.num_dumps == 0);
	CHECK(c.failure_action == KD_ACT_REBOOT);
}

static void personality_rule(void)
{
	CHECK_OK(KT("USE_KDUMP=1\n"));
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK(c.use_kdump == 1);
	CHECK_OK(parse3("final_action halt\n", NULL, "USE_KDUMP=1\n", 0));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK(c.final_action == KD_ACT_HALT);
	/* run as kdump-config: kdump-tools even when kdump.conf sets things */
	CHECK_OK(parse3("final_action halt\n", NULL, NULL, 1));
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	/* an empty assignment sets nothing */
	CHECK_OK(KT("KDUMP_NUM_DUMPS=\nKDUMP_DUMP_DMESG=\"\"\n"));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	/* sysconfig alone does not make it kdump-tools */
	CHECK_OK(SC("KEXEC_ARGS=\"-s\"\n"));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK_STR(c.kexec_args, "-s");
}

/* ---- kdump.conf ---- */

static void every_directive(void)
{
	CHECK_OK(KC("path /srv/dumps\n"
		    "core_collector makedumpfile -c --message-level 1 -d 31\n"
		    "xfs UUID=0f0e7f4c-1111-2222-3333-444455556666\n"
		    "sshkey /root/.ssh/other\n"
		    "failure_action dump_to_rootfs\n"
		    "final_action poweroff\n"
		    "extra_modules virtio_blk  xfs dm-mod\n"
		    "force_rebuild 1\n"
		    "force_no_rebuild 0\n"
		    "auto_reset_crashkernel no\n"));
	CHECK(c.target == KD_TGT_FS);
	CHECK_STR(c.fstype, "xfs");
	CHECK_STR(c.device, "UUID=0f0e7f4c-1111-2222-3333-444455556666");
	CHECK_STR(c.path, "/srv/dumps");
	CHECK_STR(c.sshkey, "/root/.ssh/other");
	CHECK_STR(c.collector_argv[1], "-c");
	CHECK(c.failure_action == KD_ACT_DUMP_TO_ROOTFS);
	CHECK(c.final_action == KD_ACT_POWEROFF);
	CHECK_STR(c.extra_modules[0], "virtio_blk");
	CHECK_STR(c.extra_modules[1], "xfs");
	CHECK_STR(c.extra_modules[2], "dm-mod");
	CHECK(c.extra_modules[3] == NULL);
	CHECK(c.force_rebuild == 1 && c.force_no_rebuild == 0);

	CHECK_OK(KC("force_no_rebuild 1\nfailure_action halt\n"));
	CHECK(c.force_no_rebuild == 1 && c.failure_action == KD_ACT_HALT);
	CHECK_OK(KC("failure_action poweroff\n"));
	CHECK(c.failure_action == KD_ACT_POWEROFF);
}

static void comments_quotes_whitespace(void)
{
	CHECK_OK(KC("  # indented comment\r\n"
		    "\tpath   \"/var/crash dir\"   # trailing comment\r\n"
		    "core_collector \"makedumpfile -l -d 31\"#comment right after\n"
		    "final_action 'halt'\n"
		    "ext4\t/dev/vdb1\n"));
	CHECK_STR(c.path, "/var/crash dir");
	CHECK_STR(c.core_collector, "makedumpfile -l -d 31");
	CHECK(c.final_action == KD_ACT_HALT);
	CHECK_STR(c.device, "/dev/vdb1");
	CHECK_STR(c.fstype, "ext4");
	/* quoted words inside core_collector group and lose their quotes */
	CHECK_OK(KC("core_collector makedumpfile --message-level 7 -d '31'\n"));
	CHECK_STR(c.collector_argv[4], "31");
	/* no newline at the end of the file */
	CHECK_OK(KC("final_action halt"));
	CHECK(c.final_action == KD_ACT_HALT);
}

static void targets(void)
{
	CHECK_OK(KC("btrfs LABEL=\"my dumps\"\n"));
	CHECK(c.target == KD_TGT_FS);
	CHECK_STR(c.device, "LABEL=my dumps");
	CHECK_OK(KC("ext3 PARTUUID=abcd-01\n"));
	CHECK_STR(c.device, "PARTUUID=abcd-01");
	CHECK_OK(KC("raw /dev/disk/by-partlabel/kdump\n"));
	CHECK(c.target == KD_TGT_RAW);
	CHECK_STR(c.device, "/dev/disk/by-partlabel/kdump");
	CHECK(c.fstype == NULL);
	/* kdump-utils' default collector for raw has -F */
	CHECK_STR(c.core_collector, "makedumpfile -F -l --message-level 7 -d 31");
	CHECK_OK(parse3("raw /dev/vdc\n", NULL, NULL, 1)); /* run as kdump-config: still -F */
	CHECK_STR(c.core_collector, "makedumpfile -F -l --message-level 7 -d 31");
	CHECK_OK(KC("ssh kdump@backup.example.com\n"));
	CHECK(c.target == KD_TGT_SSH);
	CHECK_STR(c.ssh, "kdump@backup.example.com");
	CHECK_STR(c.sshkey, "/root/.ssh/kdump_id_rsa");
	CHECK_OK(KC("nfs [2001:db8::1]:/export/tmp\n"));
	CHECK(c.target == KD_TGT_NFS);
	CHECK_STR(c.nfs, "[2001:db8::1]:/export/tmp");

	CHECK_ERR_HAS(KC("\next4 vdb1\n"), "/etc/kdump.conf:2: ext4 \"vdb1\": write a device node "
		      "(/dev/vdb1), UUID=<uuid> or LABEL=<label>");
	CHECK(is_empty(&c));
	CHECK_ERR_HAS(KC("xfs UUID=\n"), "/etc/kdump.conf:1: xfs \"UUID=\": write UUID= followed");
	CHECK_ERR_HAS(KC("raw sdb\n"),
		      "/etc/kdump.conf:1: raw \"sdb\": write the block device's path");
	CHECK_ERR_HAS(KC("ssh backup.example.com\n"), "/etc/kdump.conf:1: ssh "
		      "\"backup.example.com\": write user@host");
	CHECK_ERR_HAS(KC("nfs server\n"),
		      "/etc/kdump.conf:1: nfs \"server\": write host:/exported");
	CHECK_ERR_HAS(KC("path var/crash\n"), "/etc/kdump.conf:1: path \"var/crash\": write an "
		      "absolute path");
	CHECK_ERR_HAS(KC("ext4 /dev/vdb1\nraw /dev/vdc\n"), "/etc/kdump.conf:2: a second dump "
		      "target (\"raw\"), /etc/kdump.conf:1 names one already (\"ext4\")");
	CHECK_ERR_HAS(KC("nfs a:/b\nssh u@h\n"), "/etc/kdump.conf:2: a second dump target");
	CHECK_ERR_HAS(KC("virtiofs myfs\n"), "/etc/kdump.conf:1: \"virtiofs\" is not supported by "
		      "kdumpkit; kdumpkit does not save to virtiofs; write `ext4|xfs|btrfs");
	CHECK_ERR_HAS(KC("minix /dev/vdb\n"), "does not save to minix");
}

static void collectors(void)
{
	CHECK_OK(KC("core_collector cp\n"));
	CHECK_STR(c.collector_argv[0], "cp");
	CHECK_OK(KC("core_collector \"cp --sparse=always\"\n"));
	CHECK_STR(c.collector_argv[1], "--sparse=always");
	CHECK_OK(KC("core_collector cat\n"));
	CHECK_OK(KC("raw /dev/vdc\ncore_collector makedumpfile -lF -d 31\n"));
	CHECK_OK(KC("ssh u@h\ncore_collector scp\n"));

	CHECK_ERR_HAS(KC("core_collector cp -a\n"), "/etc/kdump.conf:1: core_collector \"cp -a\": "
		      "kdumpkit copies the ELF vmcore itself and takes no cp options");
	CHECK_ERR_HAS(KC("core_collector cat -v\n"), "takes no cat options (\"-v\")");
	CHECK_ERR_HAS(KC("raw /dev/vdc\ncore_collector makedumpfile -l -d 31\n"),
		      "/etc/kdump.conf:2: core_collector \"makedumpfile -l -d 31\": a raw target "
		      "takes makedumpfile's flattened stream; add -F");
	CHECK_ERR_HAS(KC("raw /dev/vdc\ncore_collector cat\n"), "kdumpkit recovers raw dumps from "
		      "makedumpfile's flattened stream");
	CHECK_ERR_HAS(KC("ssh u@h\ncore_collector makedumpfile -l -d 31\n"), "an ssh target takes "
		      "makedumpfile's flattened stream; add -F");
	CHECK_ERR_HAS(KC("core_collector scp\n"), "core_collector \"scp\": kdumpkit saves with its "
		      "own makedumpfile or copies the ELF vmcore (cp, cat)");
	CHECK_ERR_HAS(KC("core_collector /usr/sbin/makedumpfile -d 31\n"), "named without a path");
	CHECK_ERR_HAS(KC("core_collector makedumpfile -d 31 | gzip\n"), "/etc/kdump.conf:1: "
		      "core_collector: shell syntax at \"| gzip\", and kdumpkit runs no shell");
	CHECK_ERR_HAS(KC("core_collector makedumpfile -d $LEVEL\n"), "shell syntax at \"$LEVEL\"");
	CHECK_ERR_HAS(KC("core_collector makedumpfile -d \"31\n"), "a quote that is not closed");
	CHECK(is_empty(&c));
}

static void actions(void)
{
	FILE *lf = log_start();
	CHECK_OK(KC("default halt\n"));
	log_end(lf);
	CHECK(c.failure_action == KD_ACT_HALT);
	CHECK(strstr(logbuf, "/etc/kdump.conf:1: \"default\" is the deprecated name of "
		     "failure_action; write failure_action instead") != NULL);
	CHECK_ERR_HAS(KC("failure_action reboot\ndefault halt\n"), "/etc/kdump.conf:2: \"default\" "
		      "and /etc/kdump.conf:1 \"failure_action\" both set the failure action");
	CHECK_ERR_HAS(KC("failure_action shell\n"), "/etc/kdump.conf:1: failure_action shell: "
		      "there is no shell in kdumpkit's capture environment to drop into; write "
		      "failure_action reboot, halt, poweroff or dump_to_rootfs");
	CHECK_ERR_HAS(KC("default shell\n"), "default shell: there is no shell");
	CHECK_ERR_HAS(KC("failure_action restart\n"), "/etc/kdump.conf:1: failure_action "
		      "\"restart\": write failure_action reboot, halt, poweroff or dump_to_rootfs");
	CHECK_ERR_HAS(KC("final_action dump_to_rootfs\n"), "/etc/kdump.conf:1: final_action "
		      "\"dump_to_rootfs\": dump_to_rootfs is a failure_action; write final_action "
		      "reboot, halt or poweroff");
	CHECK_ERR_HAS(KC("final_action shell\n"), "there is no shell in kdumpkit's capture");
}

static void rebuild_flags(void)
{
	CHECK_ERR_HAS(KC("force_rebuild 1\n# x\nforce_no_rebuild 1\n"), "/etc/kdump.conf:3: "
		      "force_no_rebuild 1 contradicts /etc/kdump.conf:1 force_rebuild 1; set at "
		      "most one of them to 1");
	CHECK(is_empty(&c));
	CHECK_ERR_HAS(KC("force_rebuild yes\n"),
		      "/etc/kdump.conf:1: force_rebuild \"yes\": write 0 or 1");
	CHECK_ERR_HAS(KC("auto_reset_crashkernel maybe\n"), "/etc/kdump.conf:1: "
		      "auto_reset_crashkernel \"maybe\": write yes or no");
}

static void extra_modules(void)
{
	CHECK_ERR_HAS(KC("extra_modules /lib/modules/x/foo.ko\n"), "/etc/kdump.conf:1: "
		      "extra_modules \"/lib/modules/x/foo.ko\": write module names separated by "
		      "spaces, without paths or .ko");
	CHECK_ERR_HAS(KC("extra_modules xfs.ko\n"), "without paths or .ko");
	FILE *lf = log_start();
	CHECK_OK(KC("extra_bins /usr/bin/lftp\n"));
	log_end(lf);
	CHECK(strstr(logbuf, "/etc/kdump.conf:1: extra_bins ignored") != NULL);
}

static void removed_directives(void)
{
	static const struct { const char *line, *want; } cases[] = {
		{ "net user@host", "write `nfs host:/export` or `ssh user@host` instead" },
		{ "options loop max_loop=1", "module options go on the capture kernel's command "
		  "line: add module.param=value to KDUMP_COMMANDLINE_APPEND in "
		  "/etc/sysconfig/kdump" },
		{ "link_delay 10", "delete the line" },
		{ "disk_timeout 30", "kdumpkit waits for the target device itself (bounded)" },
		{ "debug_mem_level 3", "delete the line" },
		{ "blacklist nouveau", "to keep a module from loading in the capture kernel add "
		  "module_blacklist=NAME to KDUMP_COMMANDLINE_APPEND" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128], want[256], name[32];
		snprintf(text, sizeof(text), "path /var/crash\n\n%s\n", cases[i].line);
		snprintf(name, sizeof(name), "%s", cases[i].line);
		*strchr(name, ' ') = '\0';
		snprintf(want, sizeof(want), "/etc/kdump.conf:3: \"%s\" was removed from "
			 "kdump.conf (kdump-utils rejects it too); %s", name, cases[i].want);
		CHECK_ERR_HAS(KC(text), want);
		CHECK(is_empty(&c));
	}
}

static void refused_directives(void)
{
	CHECK_ERR_HAS(KC("dracut_args --omit-drivers \"cfg80211 snd\"\n"), "/etc/kdump.conf:1: "
		      "\"dracut_args\" is not supported by kdumpkit; kdumpkit builds the capture "
		      "initramfs itself, without dracut");
	CHECK_ERR_HAS(KC("fence_kdump_nodes node1 node2\n"),
		      "does not send fence_kdump notifications");
	CHECK_ERR_HAS(KC("fence_kdump_args -p 7410\n"), "does not send fence_kdump notifications");
	CHECK_ERR_HAS(KC("kdump_emergency /bin/x\n"), "runs no emergency program");
}

static void duplicates_unknown_empty(void)
{
	CHECK_ERR_HAS(KC("path /a\n#\npath /b\n"), "/etc/kdump.conf:3: \"path\" again, "
		      "/etc/kdump.conf:1 has it already; keep one of the two lines");
	CHECK_ERR_HAS(KC("auto_reset_crashkernel yes\nauto_reset_crashkernel no\n"),
		      "/etc/kdump.conf:2: \"auto_reset_crashkernel\" again, /etc/kdump.conf:1");
	CHECK_ERR_HAS(KC("core_colector cp\n"), "/etc/kdump.conf:1: unknown directive "
		      "\"core_colector\"; kdump.conf takes path, core_collector");
	CHECK_ERR_HAS(KC("path\n"), "/etc/kdump.conf:1: \"path\" needs a value; write e.g. "
		      "`path /var/crash`");
	CHECK_ERR_HAS(KC("path \"\"\n"), "\"path\" needs a value");
	CHECK_ERR_HAS(KC("final_action # nothing\n"), "\"final_action\" needs a value");
	struct kd_svc_config_source a = { "/etc/kdump.conf", "path /a\nfin\0al_action halt\n", 25 };
	kd_svc_config_free(&c);
	CHECK_ERR_HAS(kd_svc_config_parse(&a, NULL, NULL, 0, &c), "/etc/kdump.conf:2: a NUL byte");
}

/* ---- kdump_pre / kdump_post ---- */

/* A minimal ELF executable for this machine: one PT_LOAD, and a PT_INTERP when `dynamic`. */
static char *write_elf(int dynamic, int machine_ok)
{
	char *path = kd_test_tmpfile("elf");
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		char interp[32];
	} img;
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = machine_ok ? EM_X86_64 : EM_AARCH64;
#if !defined(__x86_64__)
#error "write_elf: add this machine"
#endif
	img.eh.e_version = EV_CURRENT;
	img.eh.e_phoff = sizeof(Elf64_Ehdr);
	img.eh.e_ehsize = sizeof(Elf64_Ehdr);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = dynamic ? 2 : 1;
	img.ph[0].p_type = PT_LOAD;
	img.ph[1].p_type = PT_INTERP;
	img.ph[1].p_offset = offsetof(__typeof__(img), interp);
	img.ph[1].p_filesz = sizeof("/lib64/ld-linux-x86-64.so.2");
	strcpy(img.interp, "/lib64/ld-linux-x86-64.so.2");
	FILE *f = fopen(path, "w");
	fwrite(&img, sizeof(img), 1, f);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static kd_err *with_pre(const char *directive, const char *path)
{
	char text[512];
	snprintf(text, sizeof(text), "# hooks\n%s %s\n", directive, path);
	return KC(text);
}

static void pre_post_programs(void)
{
	char *ok = write_elf(0, 1), *dyn = write_elf(1, 1), *arm = write_elf(0, 0);
	CHECK_OK(with_pre("kdump_pre", ok));
	CHECK_STR(c.kdump_pre, ok);
	CHECK_OK(with_pre("kdump_post", ok));
	CHECK_STR(c.kdump_post, ok);

	char want[512];
	snprintf(want, sizeof(want), "/etc/kdump.conf:2: kdump_pre %s: dynamically linked (it "
		 "asks for /lib64/ld-linux-x86-64.so.2), and kdumpkit's capture environment has no "
		 "shared libraries; give a statically linked program", dyn);
	CHECK_ERR_HAS(with_pre("kdump_pre", dyn), want);
	CHECK(is_empty(&c));
	CHECK_ERR_HAS(with_pre("kdump_post", arm), "built for another machine");

	char *script = kd_test_tmpfile("script");
	FILE *f = fopen(script, "w");
	fputs("#!/bin/sh\necho hi\n", f);
	fclose(f);
	chmod(script, 0755);
	snprintf(want, sizeof(want), "/etc/kdump.conf:2: kdump_post %s: a script, and kdumpkit's "
		 "capture environment has no shell to run it", script);
	CHECK_ERR_HAS(with_pre("kdump_post", script), want);

	chmod(ok, 0644);
	CHECK_ERR_HAS(with_pre("kdump_pre", ok), "not executable; chmod +x it");
	CHECK_ERR_HAS(with_pre("kdump_pre", "/nonexistent/kdump-pre"), "/etc/kdump.conf:2: "
		      "kdump_pre /nonexistent/kdump-pre: no such file");
	CHECK_ERR_HAS(with_pre("kdump_pre", "kdump-pre"), "kdump_pre \"kdump-pre\": write the "
		      "program's absolute path");
	CHECK_ERR_HAS(with_pre("kdump_pre", "/tmp"), "/tmp: not a regular file");
	f = fopen(script, "w");
	fputs("garbage", f);
	fclose(f);
	CHECK_ERR_HAS(with_pre("kdump_pre", script), "not an ELF program");
	unlink(ok);
	unlink(dyn);
	unlink(arm);
	unlink(script);
	free(ok);
	free(dyn);
	free(arm);
	free(script);
}

/* ---- the VAR=value files ---- */

static void origins(void)
{
	CHECK_OK(parse3("# c\npath /srv\nraw /dev/vdc\n", "\n\nKEXEC_ARGS=-s\n",
			"KDUMP_INITRD=/var/lib/kdump/initrd.img\nKDUMP_NUM_DUMPS=2\n", 0));
	CHECK_STR(kd_svc_config_origin(&c, "path"), "/etc/kdump.conf:2");
	CHECK_STR(kd_svc_config_origin(&c, "KDUMP_COREDIR"), "/etc/kdump.conf:2");
	CHECK_STR(kd_svc_config_origin(&c, "ext4"), "/etc/kdump.conf:3");
	CHECK_STR(kd_svc_config_origin(&c, "KDUMP_KEXEC_ARGS"), "/etc/sysconfig/kdump:3");
	CHECK_STR(kd_svc_config_origin(&c, "KDUMP_NUM_DUMPS"), "/etc/default/kdump-tools:2");
	CHECK(kd_svc_config_origin(&c, "final_action") == NULL);   /* the default */
	CHECK(kd_svc_config_origin(&c, "KDUMP_INITRD") == NULL);   /* kdump-tools' link, dropped */
	CHECK(kd_svc_config_origin(&c, "no_such_thing") == NULL);
	CHECK(kd_svc_config_origin(&c, "auto_reset_crashkernel") == NULL);
}

static void sysconfig_vars(void)
{
	FILE *lf = log_start();
	CHECK_OK(SC("KDUMP_KERNELVER=6.12.9-amd64\n"
		    "KDUMP_COMMANDLINE=\"ro root=LABEL=/\"\n"
		    "KDUMP_COMMANDLINE_REMOVE='hugepages quiet'\n"
		    "export KDUMP_COMMANDLINE_APPEND=\"irqpoll nr_cpus=1\"\n"
		    "KEXEC_ARGS=-s\n"
		    "FADUMP_COMMANDLINE_APPEND=\"nr_cpus=16\"\n"
		    "VMCORE_CREATION_NOTIFICATION=\"yes\"\n"
		    "KDUMP_STDLOGLVL=3\n"));
	log_end(lf);
	CHECK_STR(c.kernel_ver, "6.12.9-amd64");
	CHECK_STR(c.cmdline, "ro root=LABEL=/");
	CHECK_STR(c.cmdline_remove, "hugepages quiet");
	CHECK_STR(c.cmdline_append, "irqpoll nr_cpus=1");
	CHECK_STR(c.kexec_args, "-s");
	CHECK(c.kernel == NULL);
	CHECK(strstr(logbuf, "/etc/sysconfig/kdump:6: FADUMP_COMMANDLINE_APPEND ignored") != NULL);
	CHECK(strstr(logbuf, "/etc/sysconfig/kdump:8: KDUMP_STDLOGLVL ignored") != NULL);

	/* a kernel named by KDUMP_BOOTDIR / KDUMP_IMG / KDUMP_IMG_EXT */
	CHECK_OK(SC("KDUMP_BOOTDIR=/boot/efi\nKDUMP_IMG=vmlinux\nKDUMP_KERNELVER=6.1.0-kdump\n"));
	CHECK_STR(c.kernel, "/boot/efi/vmlinux-6.1.0-kdump");
	CHECK_OK(SC("KDUMP_BOOTDIR=/boot\nKDUMP_IMG=vmlinuz\nKDUMP_IMG_EXT=\n"));
	CHECK(c.kernel == NULL);
	CHECK_ERR_HAS(SC("KDUMP_IMG=sub/vmlinuz\n"), "/etc/sysconfig/kdump:1: KDUMP_IMG: "
		      "KDUMP_BOOTDIR must be an absolute directory");
	CHECK_ERR_HAS(parse3(NULL, "KDUMP_IMG=vmlinux\n", "KDUMP_KERNEL=/boot/k\n", 0),
		      "/etc/sysconfig/kdump:1: KDUMP_IMG names the kernel's file, and so does "
		      "/etc/default/kdump-tools:1 (KDUMP_KERNEL); keep one of them");
	CHECK_ERR_HAS(SC("KDUMP_KERNELVER=../x\n"), "/etc/sysconfig/kdump:1: KDUMP_KERNELVER "
		      "\"../x\": write a kernel release");
	CHECK_ERR_HAS(SC("KDUMP_COMMANDLINE_APPEND=a\n#\nKDUMP_COMMANDLINE_APPEND=b\n"),
		      "/etc/sysconfig/kdump:3: KDUMP_COMMANDLINE_APPEND again, "
		      "/etc/sysconfig/kdump:1 sets it already; keep one of the two lines");
	CHECK_ERR_HAS(SC("KDUMP_COMMANDLINE_APPPEND=x\n"), "/etc/sysconfig/kdump:1: unknown "
		      "variable KDUMP_COMMANDLINE_APPPEND");
	CHECK(is_empty(&c));
}

#define DATA_WHY "kdumpkit reads this file as data, it does not run it"
#define DATA "kdumpkit reads this file as data, it does not run it: write the value literally"

static void shell_is_refused(void)
{
	static const struct { const char *line, *want; } cases[] = {
		{ "KEXEC_ARGS=$ARGS", "KEXEC_ARGS: '$' (the shell would expand it); " DATA },
		{ "KEXEC_ARGS=\"-s $X\"", "'$' (the shell would expand it)" },
		{ "KEXEC_ARGS=`uname -m`", "'`' (the shell would run a command)" },
		{ "KEXEC_ARGS=\"$(uname -m)\"", "'$' (the shell would expand it)" },
		{ "KEXEC_ARGS=-s; reboot", "a shell control operator (; & |)" },
		{ "KEXEC_ARGS=-s&", "a shell control operator" },
		{ "KEXEC_ARGS=-s|cat", "a shell control operator" },
		{ "KEXEC_ARGS=-s>/tmp/x", "a redirection (< >)" },
		{ "KEXEC_ARGS=(a b)", "a parenthesis" },
		{ "KEXEC_ARGS=-s -d", "KEXEC_ARGS: unquoted whitespace in the value (the shell "
		  "would run the rest as a command); " DATA ", the whole value in double quotes" },
		{ "KEXEC_ARGS=\"-s \\", "a continuation line" },
		{ "KEXEC_ARGS=-s\\", "a continuation line" },
		{ "KEXEC_ARGS=a\\ b", "a backslash (the shell would remove it)" },
		{ "KEXEC_ARGS=\"-s", "a quote that is not closed on this line" },
		{ "KEXEC_ARGS='-s", "a quote that is not closed on this line" },
		{ "KEXEC_ARGS=~/x", "'~' (the shell would expand it to a home directory)" },
		{ "KEXEC_ARGS = -s", "spaces before '=' (a shell would run \"KEXEC_ARGS\" as a "
		  "command); " DATA ", as KEXEC_ARGS=value" },
		{ "if [ -f /x ]; then", "\"if [ -f /x ]; then\" is not a VAR=value line; kdumpkit "
		  "reads this file as data, it does not run it: write only VAR=value lines" },
		{ ". /etc/other", "is not a VAR=value line" },
		{ "unset KEXEC_ARGS", "is not a VAR=value line" },
		{ "2X=1", "is not a VAR=value line" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], want[512];
		snprintf(text, sizeof(text), "# line 1\n%s\n", cases[i].line);
		snprintf(want, sizeof(want), "%s", cases[i].want);
		kd_err *e = SC(text);
		char b[1024] = "";
		if (e)
			kd_err_format(e, b, sizeof(b));
		CHECK(strstr(b, "/etc/sysconfig/kdump:2: ") == b);
		CHECK(strstr(b, DATA_WHY) != NULL);
		if (!strstr(b, want))
			fprintf(stderr, "  case %zu: %s\n    got:  %s\n    want: %s\n", i,
				cases[i].line, b, want);
		CHECK(e && strstr(b, want));
		kd_err_free(e);
		CHECK(is_empty(&c));
	}
	/* what is data stays accepted: quotes of both kinds, escapes in double quotes,
	 * characters that are literal in an assignment, a trailing comment */
	CHECK_OK(SC("KDUMP_COMMANDLINE_APPEND=\"a \\\"b\\\" \\\\ \\$ \\` \\n ; | & 'q'\"  # c\n"
		    "KEXEC_ARGS='$x `y` \\ \"z\"'\n"
		    "KDUMP_COMMANDLINE=a=b,c:d%e#f{g}\n"
		    "KDUMP_COMMANDLINE_REMOVE=x\"y z\"'w'\n"));
	CHECK_STR(c.cmdline_append, "a \"b\" \\ $ ` \\n ; | & 'q'");
	CHECK_STR(c.kexec_args, "$x `y` \\ \"z\"");
	CHECK_STR(c.cmdline, "a=b,c:d%e#f{g}");
	CHECK_STR(c.cmdline_remove, "xy zw");
}

static void kdump_tools_vars(void)
{
	FILE *lf = log_start();
	CHECK_OK(KT("USE_KDUMP=1\n"
		    "KDUMP_SYSCTL=\"kernel.panic_on_oops=1 vm.panic_on_oom=1\"\n"
		    "KDUMP_KERNEL=/boot/vmlinuz-crash\n"
		    "KDUMP_INITRD=/boot/initrd.img-crash\n"
		    "KDUMP_COREDIR=/srv/crash\n"
		    "MAKEDUMP_ARGS=\"-z -d 31\"\n"
		    "KDUMP_KEXEC_ARGS=\"--elf64-core-headers\"\n"
		    "KDUMP_CMDLINE=\"root=/dev/vda1 ro\"\n"
		    "KDUMP_CMDLINE_APPEND=\"nr_cpus=1 irqpoll\"\n"
		    "KDUMP_NUM_DUMPS=2\n"
		    "KDUMP_DUMP_DMESG=0\n"
		    "KDUMP_FAIL_CMD=\"poweroff -f\"\n"
		    "HOSTTAG=hostname\n"
		    "NFS_TIMEO=100\n"
		    "NFS_RETRANS=5\n"
		    "NFS_MOUNT_RETRY=7\n"
		    "SSH=\"kdump@host\"\n"
		    "SSH_KEY=/root/.ssh/id_kdump\n"
		    "SSH_KDUMP_RETRY=9\n"
		    "KDUMP_COMPRESSION=xz\n"
		    "DEBUG_KERNEL=/usr/lib/debug/vmlinux\n"
		    "FTP_USER=anonymous\n"));
	log_end(lf);
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK(c.use_kdump == 1);
	CHECK_STR(c.sysctl, "kernel.panic_on_oops=1 vm.panic_on_oom=1");
	CHECK_STR(c.kernel, "/boot/vmlinuz-crash");
	CHECK_STR(c.initrd, "/boot/initrd.img-crash");
	CHECK_STR(c.path, "/srv/crash");
	CHECK_STR(c.core_collector, "makedumpfile -z -d 31");
	CHECK_STR(c.kexec_args, "--elf64-core-headers");
	CHECK_STR(c.cmdline, "root=/dev/vda1 ro");
	CHECK_STR(c.cmdline_append, "nr_cpus=1 irqpoll");
	CHECK(c.num_dumps == 2 && c.dump_dmesg == 0);
	CHECK(c.failure_action == KD_ACT_POWEROFF);
	CHECK_STR(c.hosttag, "hostname");
	CHECK(c.nfs_timeo == 100 && c.nfs_retrans == 5);
	CHECK(c.nfs_mount_retry == 7 && c.ssh_retry == 9);
	CHECK(c.target == KD_TGT_SSH);
	CHECK_STR(c.ssh, "kdump@host");
	CHECK_STR(c.sshkey, "/root/.ssh/id_kdump");
	CHECK(strstr(logbuf, "warning: /etc/default/kdump-tools:20: KDUMP_COMPRESSION ignored: "
		     "kdumpkit does not pipe the dump through a compressor") != NULL);
	CHECK(strstr(logbuf, "/etc/default/kdump-tools:21: DEBUG_KERNEL ignored") != NULL);

	CHECK_OK(KT("KDUMP_FAIL_CMD=reboot\nKDUMP_SYSCTL=\" \"\n"));
	CHECK(c.failure_action == KD_ACT_REBOOT);
	CHECK(c.sysctl == NULL); /* KDUMP_SYSCTL=" " turns it off */
	CHECK_OK(KT("KDUMP_FAIL_CMD=\"halt\"\n"));
	CHECK(c.failure_action == KD_ACT_HALT);

	CHECK_ERR_HAS(KT("KDUMP_FAIL_CMD=\"echo 'makedumpfile FAILED.'; /bin/bash; reboot -f\"\n"),
		      "/etc/default/kdump-tools:1: KDUMP_FAIL_CMD \"echo 'makedumpfile FAILED.'; "
		      "/bin/bash; reboot -f\": kdumpkit runs no commands in the capture "
		      "environment, it can only reboot, halt or power off; write "
		      "KDUMP_FAIL_CMD=\"reboot -f\"");
	CHECK_ERR_HAS(KT("KDUMP_FAIL_CMD=\"reboot -n\"\n"), "kdumpkit runs no commands");
	CHECK_ERR_HAS(KT("USE_KDUMP=yes\n"),
		      "/etc/default/kdump-tools:1: USE_KDUMP \"yes\": write 0 or 1");
	CHECK_ERR_HAS(KT("KDUMP_NUM_DUMPS=-1\n"), "/etc/default/kdump-tools:1: KDUMP_NUM_DUMPS "
		      "\"-1\": write a whole number, e.g. KDUMP_NUM_DUMPS=0");
	CHECK_ERR_HAS(KT("KDUMP_NUM_DUMPS=99999999999\n"), "write a whole number");
	CHECK_ERR_HAS(KT("KDUMP_DUMP_DMESG=2\n"), "KDUMP_DUMP_DMESG \"2\": write 0 or 1");
	CHECK_ERR_HAS(KT("KDUMP_SYSCTL=panic_on_oops\n"), "/etc/default/kdump-tools:1: "
		      "KDUMP_SYSCTL \"panic_on_oops\": write key=value settings");
	CHECK_ERR_HAS(KT("HOSTTAG=fqdn\n"),
		      "HOSTTAG \"fqdn\": write HOSTTAG=ip or HOSTTAG=hostname");
	CHECK_ERR_HAS(KT("FTP=\"server:/dumps\"\n"), "/etc/default/kdump-tools:1: FTP is not "
		      "supported; kdumpkit does not upload dumps over FTP");
	CHECK_ERR_HAS(KT("NFS=a:/b\nSSH=u@h\n"), "/etc/default/kdump-tools:1: NFS and "
		      "/etc/default/kdump-tools:2 SSH both name a dump target");
	CHECK_ERR_HAS(KT("MAKEDUMP_ARGS=\"-c -d 31 | gzip\"\n"), "MAKEDUMP_ARGS: shell syntax at "
		      "\"| gzip\", and kdumpkit runs no shell; write the command and its arguments "
		      "literally, e.g. MAKEDUMP_ARGS=\"-c -d 31\"");
	CHECK_ERR_HAS(KT("KDUMP_COREDIR=crash\n"),
		      "KDUMP_COREDIR \"crash\": write an absolute path");
	CHECK_ERR_HAS(KT("KDUMP_SYSCTL=a=1\nKDUMP_SYSCTL=b=1\n"), "/etc/default/kdump-tools:2: "
		      "KDUMP_SYSCTL again, /etc/default/kdump-tools:1 sets it already");
	CHECK_ERR_HAS(KT("NFS4=a:/b\n"),
		      "unknown variable NFS4; it is not one kdump-tools(5) lists");
	CHECK(is_empty(&c));
}

/* ---- the files against each other ---- */

static void two_files_name_the_destination(void)
{
	CHECK_ERR_HAS(parse3("ext4 UUID=1234-abcd\npath /dumps\n", NULL,
			     "#\nKDUMP_COREDIR=/var/crash\n", 0),
		      "/etc/default/kdump-tools:2: KDUMP_COREDIR says where dumps go, and so does "
		      "/etc/kdump.conf:1 (ext4 UUID=1234-abcd); kdumpkit would have to ignore one "
		      "of them: keep the one you mean");
	CHECK(is_empty(&c));
	CHECK_ERR_HAS(parse3("path /a\n", NULL, "KDUMP_COREDIR=/b\n", 0),
		      "/etc/default/kdump-tools:1: KDUMP_COREDIR says where dumps go, and so does "
		      "/etc/kdump.conf:1 (path /a)");
	CHECK_ERR_HAS(parse3("ssh u@h\n", NULL, "NFS=h:/x\n", 0), "NFS says where dumps go");
	CHECK_ERR_HAS(parse3("path /var/crash\n", NULL, "KDUMP_COREDIR=/var/crash\nSSH=u@h\n", 0),
		      "KDUMP_COREDIR says where dumps go, and so does /etc/kdump.conf:1 (path "
		      "/var/crash)");
	/* both saying the same thing is not a conflict */
	CHECK_OK(parse3("path /var/crash\n", NULL, "KDUMP_COREDIR=\"/var/crash\"\n", 0));
	CHECK_STR(c.path, "/var/crash");
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
}

static void two_files_set_the_same_thing(void)
{
	CHECK_ERR_HAS(parse3(NULL, "KDUMP_COMMANDLINE=\"ro\"\n", "KDUMP_CMDLINE=\"rw\"\n", 0),
		      "/etc/default/kdump-tools:1: KDUMP_CMDLINE sets the capture command line to "
		      "\"rw\", and /etc/sysconfig/kdump:1 (KDUMP_COMMANDLINE) sets it to \"ro\"; "
		      "keep one of them");
	CHECK_ERR_HAS(parse3("core_collector makedumpfile -l -d 31\n", NULL,
			     "MAKEDUMP_ARGS=\"-c -d 31\"\n", 0),
		      "/etc/default/kdump-tools:1: MAKEDUMP_ARGS sets the core collector to "
		      "\"makedumpfile -c -d 31\", and /etc/kdump.conf:1 (core_collector)");
	CHECK_ERR_HAS(parse3("failure_action halt\n", NULL, "KDUMP_FAIL_CMD=\"reboot -f\"\n", 0),
		      "KDUMP_FAIL_CMD sets the failure action");
	CHECK_ERR_HAS(parse3(NULL, "KEXEC_ARGS=-s\n", "KDUMP_KEXEC_ARGS=-c\n", 0),
		      "KDUMP_KEXEC_ARGS sets the loader's extra arguments");
	CHECK(is_empty(&c));
	CHECK_OK(parse3(NULL, "KEXEC_ARGS=-s\n", "KDUMP_KEXEC_ARGS=\"-s\"\n", 0));
	CHECK_STR(c.kexec_args, "-s");
}

static void error_leaves_config_empty(void)
{
	CHECK_OK(KC("path /x\n"));
	CHECK(!is_empty(&c));
	/* the error comes from the last check (kdump_pre), after everything else was filled */
	CHECK_FAILS(KC("path /x\nextra_modules xfs\nfinal_action halt\nkdump_pre /nonexistent\n"));
	CHECK(is_empty(&c));
	CHECK_FAILS(parse3("path /x\n", "KEXEC_ARGS=-s\n", "HOSTTAG=bad\n", 1));
	CHECK(is_empty(&c));
}

/* ---- real files ---- */

static void fedora_shipped_files(void)
{
	char *kc = slurp_fixture("fedora-kdump.conf");
	char *sc = slurp_fixture("fedora-sysconfig-kdump");
	CHECK(kc && sc);
	if (!kc || !sc)
		return;
	CHECK_OK(parse3(kc, sc, NULL, 0));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK(c.target == KD_TGT_PATH);
	CHECK_STR(c.path, "/var/crash");
	CHECK_STR(c.core_collector, "makedumpfile -l --message-level 7 -d 31");
	CHECK_STR(c.kexec_args, "-s");
	CHECK(c.cmdline == NULL && c.kernel_ver == NULL && c.kernel == NULL);
	CHECK(strstr(c.cmdline_remove, "hugepages hugepagesz slub_debug quiet") ==
	      c.cmdline_remove);
	CHECK(strstr(c.cmdline_append, "initramfs_options=size=90% irqpoll nr_cpus=1") != NULL);
	/* run as kdump-config on a Fedora machine: the same values, kdump-tools conventions */
	CHECK_OK(parse3(kc, sc, NULL, 1));
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK_STR(c.core_collector, "makedumpfile -l --message-level 7 -d 31");
	free(kc);
	free(sc);
}

static void debian_shipped_file(void)
{
	char *kt = slurp_fixture("debian-kdump-tools");
	CHECK(kt != NULL);
	if (!kt)
		return;
	FILE *lf = log_start();
	CHECK_OK(parse3(NULL, NULL, kt, 0));
	log_end(lf);
	CHECK(c.personality == KD_SVC_KDUMP_TOOLS);
	CHECK(c.use_kdump == 1);
	CHECK_STR(c.path, "/var/crash");
	CHECK(c.target == KD_TGT_PATH);
	CHECK_STR(c.core_collector, "makedumpfile -c -d 31");
	/* kdump-tools' own links to its mkinitramfs image are not used */
	CHECK(c.kernel == NULL && c.initrd == NULL);
	CHECK(strstr(logbuf, "KDUMP_INITRD=/var/lib/kdump/initrd.img is kdump-tools' own "
		     "link") != NULL);
	CHECK_STR(c.sysctl, "kernel.panic_on_oops=1");
	CHECK(c.failure_action == KD_ACT_REBOOT);

	/* Fedora's kdump.conf beside Debian's file: both say /var/crash, no conflict */
	char *kc = slurp_fixture("fedora-kdump.conf");
	CHECK_OK(parse3(kc, NULL, kt, 0));
	CHECK(c.personality == KD_SVC_KDUMP_CONF);
	CHECK_STR(c.path, "/var/crash");
	free(kc);
	free(kt);

	char *ub = slurp_fixture("ubuntu-kdump-tools");
	CHECK_OK(parse3(NULL, NULL, ub, 0));
	CHECK(c.target == KD_TGT_NFS);
	CHECK_STR(c.nfs, "nfs.example.com:/srv/crash");
	CHECK_STR(c.sysctl, "kernel.panic_on_oops=1 vm.panic_on_oom=1");
	CHECK(c.num_dumps == 3 && c.dump_dmesg == 1);
	CHECK_STR(c.hosttag, "hostname");
	CHECK(strstr(c.cmdline_append, "ata_piix.prefer_ms_hyperv=0") != NULL);
	free(ub);
}

/* kdumpkit's own default files (data/): each parses as shipped, and each commented example,
 * uncommented alone, is accepted (kdump_pre/kdump_post name programs that are not here). */
static void shipped_examples(void)
{
	static const struct { const char *rel; int which; } files[] = {
		{ "../data/kdump.conf", 0 },
		{ "../data/sysconfig-kdump", 1 },
		{ "../data/kdump-tools.default", 2 },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *text = (char *)kd_test_slurp(kd_test_fixture(files[i].rel), &len);
		CHECK(text != NULL);
		if (!text)
			continue;
		text[len] = '\0';
		const char *t[3] = { NULL, NULL, NULL };
		t[files[i].which] = text;
		CHECK_OK(parse3(t[0], t[1], t[2], 0));
		unsigned examples = 0;
		for (char *line = text; line && *line;) {
			char *nl = strchr(line, '\n');
			size_t ll = nl ? (size_t)(nl - line) : strlen(line);
			char one[512];
			int example = line[0] == '#' && ((line[1] >= 'a' && line[1] <= 'z') ||
							 (line[1] >= 'A' && line[1] <= 'Z'));
			if (example && ll < sizeof(one)) {
				memcpy(one, line + 1, ll - 1);
				one[ll - 1] = '\0';
				if (strncmp(one, "kdump_p", 7)) {
					const char *u[3] = { NULL, NULL, NULL };
					u[files[i].which] = one;
					kd_err *e = parse3(u[0], u[1], u[2], 0);
					if (e)
						fprintf(stderr, "  %s example \"%s\" refused\n",
							files[i].rel, one);
					CHECK_OK(e);
					examples++;
				}
			}
			line = nl ? nl + 1 : NULL;
		}
		CHECK(examples >= 8);
		free(text);
	}
}

static void load_from_files(void)
{
	char *kc = kd_test_tmpfile("kdump.conf"), *kt = kd_test_tmpfile("kdump-tools");
	FILE *f = fopen(kc, "w");
	fputs("path /var/crash\nfinal_action halt\n", f);
	fclose(f);
	f = fopen(kt, "w");
	fputs("KDUMP_NUM_DUMPS=4\n", f);
	fclose(f);
	struct kd_svc_config_files files = { kc, "/nonexistent/sysconfig-kdump", kt };
	kd_svc_config_free(&c);
	CHECK_OK(kd_svc_config_load(&files, 0, &c));
	CHECK(c.final_action == KD_ACT_HALT && c.num_dumps == 4);
	/* "" means: do not read that file */
	struct kd_svc_config_files only = { kc, "", "" };
	kd_svc_config_free(&c);
	CHECK_OK(kd_svc_config_load(&only, 0, &c));
	CHECK(c.num_dumps == 0);
	/* errors name the real path */
	f = fopen(kt, "w");
	fputs("\nKDUMP_NUM_DUMPS=four\n", f);
	fclose(f);
	char want[256];
	snprintf(want, sizeof(want), "%s:2: KDUMP_NUM_DUMPS \"four\"", kt);
	kd_svc_config_free(&c);
	CHECK_ERR_HAS(kd_svc_config_load(&files, 0, &c), want);
	CHECK(is_empty(&c));
	struct kd_svc_config_files dir = { "/tmp", "", "" };
	CHECK_ERR_HAS(kd_svc_config_load(&dir, 0, &c), "/tmp: not a regular file");
	unlink(kc);
	unlink(kt);
	free(kc);
	free(kt);
}

/* ---- the snapshot ---- */

static char *snapshot(const struct kd_svc_config *x, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	CHECK_OK(kd_svc_config_snapshot_write(x, f));
	fclose(f);
	return buf;
}

static void snapshot_round_trip(void)
{
	CHECK_OK(KC("xfs LABEL=\"dumps \\ here\"\npath /var/crash\nextra_modules xfs virtio_blk\n"
		    "failure_action dump_to_rootfs\nfinal_action poweroff\nforce_rebuild 1\n"));
	/* what prepare fills, with bytes that need escaping */
	c.resolved_device = strdup("UUID=1234\nnext line\\ \x01\xff end");
	c.resolved_fstype = strdup("xfs");
	c.mount_prefix = strdup("/");
	c.rootfs_device = strdup("");
	c.cmdline = strdup("a=\"b c\"");
	size_t la, lb;
	char *a = snapshot(&c, &la);
	if (getenv("KD_TEST_VERBOSE"))
		fwrite(a, 1, la, stderr);
	CHECK(strstr(a, "kdumpkit-config 1\npersonality kdump.conf\ntarget fs\nfstype xfs\n"
		     "device LABEL=dumps \\x5c here\npath /var/crash\nssh\n") == a);
	CHECK(strstr(a, "\nresolved_device UUID=1234\\x0anext line\\x5c \\x01\\xff end\n") != NULL);
	CHECK(strstr(a, "\ncollector_argv 6\narg makedumpfile\narg -l\n") != NULL);
	CHECK(strstr(a, "\nextra_modules 2\nmodule xfs\nmodule virtio_blk\n") != NULL);
	CHECK(strstr(a, "\nrootfs_device \nrootfs_fstype\n") != NULL); /* "" and NULL differ */
	CHECK(strstr(a, "\nend\n") == a + la - 5);

	struct kd_svc_config b;
	CHECK_OK(kd_svc_config_snapshot_parse("snap", a, la, &b));
	char *a2 = snapshot(&b, &lb);
	CHECK(la == lb && !memcmp(a, a2, la));
	CHECK_STR(b.resolved_device, c.resolved_device);
	CHECK_STR(b.rootfs_device, "");
	CHECK(b.rootfs_fstype == NULL && b.ssh == NULL);
	CHECK(b.target == KD_TGT_FS && b.failure_action == KD_ACT_DUMP_TO_ROOTFS);
	CHECK(b.final_action == KD_ACT_POWEROFF && b.force_rebuild == 1);
	CHECK_STR(b.extra_modules[1], "virtio_blk");
	CHECK_STR(b.collector_argv[5], "31");
	CHECK(b.collector_argv[6] == NULL);
	CHECK(b.nfs_timeo == 600 && b.ssh_retry == 16);
	CHECK(strstr(a, "\norigin /etc/kdump.conf:1\n") != NULL);
	CHECK_STR(kd_svc_config_origin(&b, "xfs"), "/etc/kdump.conf:1");
	CHECK_STR(kd_svc_config_origin(&b, "force_rebuild"), "/etc/kdump.conf:6");
	CHECK(kd_svc_config_origin(&b, "KDUMP_CMDLINE") == NULL);

	/* the same through a file, and a kdump-tools config */
	char *path = kd_test_tmpfile("snap");
	FILE *f = fopen(path, "w");
	fwrite(a, 1, la, f);
	fclose(f);
	kd_svc_config_free(&b);
	CHECK_OK(kd_svc_config_snapshot_read(path, &b));
	CHECK_STR(b.cmdline, "a=\"b c\"");
	kd_svc_config_free(&b);
	CHECK_OK(KT("USE_KDUMP=1\nKDUMP_NUM_DUMPS=2\nKDUMP_FAIL_CMD=\"halt -f\"\n"));
	free(a);
	free(a2);
	a = snapshot(&c, &la);
	CHECK_OK(kd_svc_config_snapshot_parse("snap", a, la, &b));
	a2 = snapshot(&b, &lb);
	CHECK(la == lb && !memcmp(a, a2, la));
	CHECK(b.personality == KD_SVC_KDUMP_TOOLS && b.num_dumps == 2 && b.use_kdump == 1);
	CHECK(b.extra_modules != NULL && b.extra_modules[0] == NULL); /* "extra_modules 0" */
	kd_svc_config_free(&b);
	unlink(path);
	free(path);
	free(a);
	free(a2);
}

#define SNAP(text, len) kd_svc_config_snapshot_parse("snap", (text), (len), &b)

static void snapshot_errors(void)
{
	CHECK_OK(KC(NULL));
	size_t la;
	char *a = snapshot(&c, &la);
	struct kd_svc_config b;
	char *bad = malloc(la + 64);

	CHECK_ERR_HAS(SNAP(a, la - 4), "snap: ends after line");
	CHECK(is_empty(&b));
	memcpy(bad, a, la);
	memcpy(bad + strlen("kdumpkit-config "), "2", 1);
	CHECK_ERR_HAS(SNAP(bad, la), "snap:1: snapshot format "
		      "\"2\", this kdumpkit reads 1");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "target path"), "target pith", 11);
	CHECK_ERR_HAS(SNAP(bad, la), "snap:3: target \"pith\" is "
		      "not one kdumpkit knows");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "fstype\n"), "fxtype\n", 7);
	CHECK_ERR_HAS(SNAP(bad, la), "snap:4: \"fxtype\" where "
		      "the snapshot has fstype");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "/var/crash"), "/var\\x0grsh", 10);
	CHECK_ERR_HAS(SNAP(bad, la), "a bad escape in path");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "/var/crash"), "/var\\x00sh", 10);
	CHECK_ERR_HAS(SNAP(bad, la), "a bad escape in path");
	memcpy(bad, a, la);
	strstr(bad, "/var/crash")[1] = '\t';
	CHECK_ERR_HAS(SNAP(bad, la), "an unescaped byte 0x09 in path");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "num_dumps 0"), "num_dumps x", 11);
	CHECK_ERR_HAS(SNAP(bad, la), "num_dumps \"x\": not a number");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "use_kdump 1"), "use_kdump 2", 11);
	CHECK_ERR_HAS(SNAP(bad, la), "use_kdump \"2\": not a number up to 1");
	memcpy(bad, a, la);
	memcpy(strstr(bad, "collector_argv 6"), "collector_argv 7", 16);
	CHECK_ERR_HAS(SNAP(bad, la), "\"failure_action\" where "
		      "the snapshot has arg");
	memcpy(bad, a, la);
	memcpy(bad + la, "x\n", 3);
	CHECK_ERR_HAS(SNAP(bad, la + 2), "text after \"end\"");
	CHECK(is_empty(&b));
	CHECK_ERR_HAS(kd_svc_config_snapshot_read("/nonexistent/snap", &b), "opening the "
		      "configuration snapshot /nonexistent/snap");
	free(bad);
	free(a);
}

static void names(void)
{
	CHECK_STR(kd_svc_action_name(KD_ACT_DUMP_TO_ROOTFS), "dump_to_rootfs");
	CHECK_STR(kd_svc_action_name(KD_ACT_POWEROFF), "poweroff");
	CHECK_STR(kd_svc_target_name(KD_TGT_FS), "fs");
	CHECK_STR(kd_svc_target_name(KD_TGT_RAW), "raw");
	CHECK_STR(kd_svc_target_name(KD_TGT_PATH), "path");
	kd_svc_config_free(&c);
}

TEST_MAIN(T(defaults_kdump_conf), T(defaults_kdump_tools), T(personality_rule),
	  T(every_directive), T(comments_quotes_whitespace), T(targets), T(collectors), T(actions),
	  T(rebuild_flags), T(extra_modules), T(removed_directives), T(refused_directives),
	  T(duplicates_unknown_empty), T(pre_post_programs), T(origins), T(sysconfig_vars),
	  T(shell_is_refused), T(kdump_tools_vars), T(two_files_name_the_destination),
	  T(two_files_set_the_same_thing), T(error_leaves_config_empty), T(fedora_shipped_files),
	  T(debian_shipped_file), T(shipped_examples), T(load_from_files), T(snapshot_round_trip),
	  T(snapshot_errors), T(names))
