/* The capture kernel's command line (load.h: kd_load_cmdline). The capture kernel runs one
 * program, kdumpkit as PID 1 from its own initramfs, in the few hundred MiB of the reservation:
 * what the first kernel's line says about its root file system, its boot, its memory
 * reservations and its CPUs is wrong there, and a few settings keep it small and safe. */
#include "service/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cmdline.h"

const char *const kd_load_cmdline_drop[] = {
	"BOOT_IMAGE",     /* the boot loader's, about the first kernel's file */
	"crashkernel",    /* a capture kernel must not reserve memory for another one */
	"root",           /* the capture kernel mounts the dump target, never the root fs */
	"rd.*",           /* initramfs (dracut) settings for the first boot */
	"rdinit", "init", /* /init in our initramfs is what runs */
	"resume",         /* never resume a hibernation image from a capture kernel */
	"panic_on_warn",  /* a warning while saving must not end the capture */
	"quiet",          /* progress and errors belong on the console */
	"hugepages", "hugepagesz", "default_hugepagesz", /* reservations of the first kernel's size */
	"cma", "hugetlb_cma", /* (set to 0 below) */
	"nr_cpus", "maxcpus", /* (one CPU below) */
	"log_buf_len", "slub_debug", /* memory the reservation does not have */
	"swiotlb",        /* a bounce buffer sized for the first kernel */
	NULL,
};

const char *const kd_load_cmdline_add[] = {
	"irqpoll",              /* interrupts of devices the dead kernel left running */
	"nr_cpus=1",            /* one CPU: per-CPU memory, no SMP bring-up of CPUs in any state */
	"reset_devices",        /* drivers reset their devices rather than trust their state */
	"cgroup_disable=memory", /* no memory cgroup accounting structures */
	"numa=off",             /* no per-node structures in a small reservation */
	"transparent_hugepage=never",
	"mce=off",              /* a machine check in the capture kernel must not end the capture */
	"hest_disable",         /* no APEI firmware error handling (firmware-first errors) */
	"pcie_ports=compat",    /* no AER/PME port services acting on the dead kernel's errors */
	"acpi_no_memhotplug",   /* no memory hot-plug in the capture kernel */
	"nokaslr",              /* the kernel stays where kexec placed it in the region */
	"novmcoredd",           /* no device dumps added to /proc/vmcore */
	"cma=0", "hugetlb_cma=0", /* no CMA area carved out of the reservation */
	"panic=10",             /* a capture kernel that panics reboots after 10 s, not hang */
	NULL,
};

static int key_matches(const char *key, const char *pattern)
{
	size_t n = strlen(pattern);
	if (n && pattern[n - 1] == '*')
		return !strncmp(key, pattern, n - 1);
	return kd_cmdline_key_eq(key, pattern);
}

static kd_err *drop_matching(struct kd_cmdline *cl, const char *pattern)
{
	size_t i = 0;
	while (i < cl->count) {
		if (!key_matches(cl->params[i].key, pattern)) {
			i++;
			continue;
		}
		/* kd_cmdline_remove frees the parameters it removes, this key among them */
		char *key = strdup(cl->params[i].key);
		if (!key)
			return kd_err_new(ENOMEM, "editing the command line");
		kd_cmdline_remove(cl, key); /* every occurrence */
		free(key);
	}
	return NULL;
}

/* "name" of "name=value" (KDUMP_COMMANDLINE_REMOVE lists names; a value is ignored). */
static kd_err *drop_names(struct kd_cmdline *cl, const char *names)
{
	struct kd_cmdline list = { 0 };
	kd_err *e = kd_cmdline_parse(names ? names : "", &list);
	if (e)
		return kd_err_wrap(e, "parsing KDUMP_COMMANDLINE_REMOVE");
	for (size_t i = 0; i < list.count && !e; i++)
		e = drop_matching(cl, list.params[i].key);
	kd_cmdline_free(&list);
	return e;
}

static int has_key(const struct kd_cmdline *cl, const char *key)
{
	int found = 0;
	kd_cmdline_get(cl, key, &found);
	return found;
}

/* Append "key[=value]" (as in kd_load_cmdline_add) unless `user` has the key: the configured
 * append text is the operator's word. A first-kernel occurrence is replaced. */
static kd_err *add_default(struct kd_cmdline *cl, const struct kd_cmdline *user, const char *kv)
{
	char key[64];
	const char *eq = strchr(kv, '=');
	size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);
	if (kn >= sizeof(key))
		return kd_err_new(EINVAL, "parameter name too long: %s", kv);
	memcpy(key, kv, kn);
	key[kn] = '\0';
	if (has_key(user, key))
		return NULL;
	return kd_cmdline_set(cl, key, eq ? eq + 1 : NULL);
}

/* Copy the user's parameters as written (quotes kept by taking the parsed value). */
static kd_err *add_user(struct kd_cmdline *cl, const struct kd_cmdline *user)
{
	for (size_t i = 0; i < user->count; i++) {
		kd_err *e = kd_cmdline_append(cl, user->params[i].key, user->params[i].value);
		if (e)
			return e;
	}
	return NULL;
}

kd_err *kd_load_cmdline(const struct kd_svc_config *c, const char *running,
			const char *boot_apicid, char **out)
{
	*out = NULL;
	const char *base = c->cmdline ? c->cmdline : running ? running : "";
	const char *what = c->cmdline ? (c->personality == KD_SVC_KDUMP_TOOLS ? "KDUMP_CMDLINE" :
					 "KDUMP_COMMANDLINE") : "/proc/cmdline";
	const char *append_name = c->personality == KD_SVC_KDUMP_TOOLS ? "KDUMP_CMDLINE_APPEND" :
				  "KDUMP_COMMANDLINE_APPEND";
	struct kd_cmdline cl = { 0 }, user = { 0 };
	kd_err *e = kd_cmdline_parse(base, &cl);
	if (e)
		return kd_err_wrap(e, "parsing %s", what);
	if ((e = kd_cmdline_parse(c->cmdline_append ? c->cmdline_append : "", &user))) {
		e = kd_err_wrap(e, "parsing %s", append_name);
		goto out;
	}
	if (user.init_args) {
		e = kd_err_new(EINVAL, "%s has \"--\" (init's arguments): kdumpkit is the capture "
			       "kernel's init and takes none", append_name);
		goto out;
	}
	/* init's arguments are the first kernel's init's */
	free(cl.init_args);
	cl.init_args = NULL;
	for (const char *const *d = kd_load_cmdline_drop; *d && !e; d++)
		e = drop_matching(&cl, *d);
	/* KDUMP_COMMANDLINE_REMOVE edits the first kernel's line only, as in kdump-utils (its
	 * template removes "cma" and appends "cma=0") */
	if (!e)
		e = drop_names(&cl, c->cmdline_remove);
	for (const char *const *a = kd_load_cmdline_add; *a && !e; a++)
		e = add_default(&cl, &user, *a);
	if (!e && boot_apicid && *boot_apicid && !has_key(&user, "disable_cpu_apicid"))
		e = kd_cmdline_set(&cl, "disable_cpu_apicid", boot_apicid);
	if (!e)
		e = add_user(&cl, &user);
	if (e) {
		e = kd_err_wrap(e, "building the capture kernel's command line");
		goto out;
	}
	if (!(*out = kd_cmdline_str(&cl)))
		e = kd_err_new(ENOMEM, "building the capture kernel's command line");
out:
	kd_cmdline_free(&cl);
	kd_cmdline_free(&user);
	return e;
}

void kd_load_boot_apicid(const char *root, char *buf, size_t n)
{
	char path[4096];
	buf[0] = '\0';
	if (kd_err_ignore(kd_load_rooted(root, "/proc/cpuinfo", path, sizeof(path))))
		return;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	int seen_processor = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "processor", 9)) {
			if (seen_processor++) /* only the first CPU listed: the boot CPU */
				break;
			continue;
		}
		if (strncmp(line, "initial apicid", 14))
			continue;
		const char *colon = strchr(line, ':');
		if (!colon)
			break;
		char *end;
		unsigned long v = strtoul(colon + 1, &end, 10);
		if (end != colon + 1 && (*end == '\n' || *end == '\0'))
			snprintf(buf, n, "%lu", v);
		break;
	}
	fclose(f);
}
