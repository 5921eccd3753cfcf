#include "kexec/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_APPEND = 256, OPT_REUSE_CMDLINE, OPT_INITRD, OPT_PRINT_CKR_SIZE, OPT_IGNORED,
	OPT_CLASSIC, OPT_CLASSIC_ARG, OPT_MEM_MIN, OPT_MEM_MAX,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ "force", no_argument, NULL, 'f' },
	{ "no-checks", no_argument, NULL, 'i' },
	{ "no-ifdown", no_argument, NULL, 'x' },
	{ "no-sync", no_argument, NULL, 'y' },
	{ "load", no_argument, NULL, 'l' },
	{ "load-panic", no_argument, NULL, 'p' },
	{ "unload", no_argument, NULL, 'u' },
	{ "exec", no_argument, NULL, 'e' },
	{ "type", required_argument, NULL, 't' },
	{ "kexec-file-syscall", no_argument, NULL, 's' },
	{ "kexec-syscall", no_argument, NULL, 'c' },
	{ "kexec-syscall-auto", no_argument, NULL, 'a' },
	{ "debug", no_argument, NULL, 'd' },
	{ "status", no_argument, NULL, 'S' },
	{ "print-ckr-size", no_argument, NULL, OPT_PRINT_CKR_SIZE },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "command-line", required_argument, NULL, OPT_APPEND },
	{ "reuse-cmdline", no_argument, NULL, OPT_REUSE_CMDLINE },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "ramdisk", required_argument, NULL, OPT_INITRD },
	/* x86 options of kexec_load's own loaders: kexec_file_load's loader takes none of them
	 * (kexec-tools ignores them on that path as well) */
	{ "hotplug", no_argument, NULL, OPT_IGNORED },
	{ "console-vga", no_argument, NULL, OPT_IGNORED },
	{ "console-serial", no_argument, NULL, OPT_IGNORED },
	{ "reset-vga", no_argument, NULL, OPT_IGNORED },
	{ "elf32-core-headers", no_argument, NULL, OPT_IGNORED },
	{ "elf64-core-headers", no_argument, NULL, OPT_IGNORED },
	{ "pass-memmap-cmdline", no_argument, NULL, OPT_IGNORED },
	{ "noefi", no_argument, NULL, OPT_IGNORED },
	{ "reuse-video-type", no_argument, NULL, OPT_IGNORED },
	/* segment placement: the classic kexec_load path */
	{ "mem-min", required_argument, NULL, OPT_MEM_MIN },
	{ "mem-max", required_argument, NULL, OPT_MEM_MAX },
	/* options of kexec-tools' classic loaders kdumpkit does not have */
	{ "entry", required_argument, NULL, OPT_CLASSIC_ARG },
	{ "serial", required_argument, NULL, OPT_CLASSIC_ARG },
	{ "serial-baud", required_argument, NULL, OPT_CLASSIC_ARG },
	{ "module", required_argument, NULL, OPT_CLASSIC_ARG },
	{ "reuseinitrd", no_argument, NULL, OPT_CLASSIC },
	{ "load-preserve-context", no_argument, NULL, OPT_CLASSIC },
	{ "load-jump-back-helper", no_argument, NULL, OPT_CLASSIC },
	{ "real-mode", no_argument, NULL, OPT_CLASSIC },
	{ "args-linux", no_argument, NULL, OPT_CLASSIC },
	{ "args-elf", no_argument, NULL, OPT_CLASSIC },
	{ "args-none", no_argument, NULL, OPT_CLASSIC },
	{ NULL, 0, NULL, 0 },
};

/* An address as kexec-tools reads one (strtoul, base 0: 0x... hex, 0... octal, decimal). */
static kd_err *parse_addr(const char *s, unsigned long long *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return kd_err_new(0, "bad address '%s'", s);
	return NULL;
}

/* The long name of the option getopt_long just returned at index li. */
static const char *long_name(int li) { return li >= 0 ? long_opts[li].name : "?"; }

kd_err *kd_kexec_parse_args(int argc, char **argv, struct kd_kexec_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* kexec-tools' defaults: with no action option, load and then shut down to reboot */
	o->load = 1;
	o->shutdown = 1;
	o->sync = 1;
	o->syscall = KD_KEXEC_AUTO;
	int skip_sync = 0, skip_ifdown = 0;

	optind = 0; /* glibc: start over (tests parse several command lines) */
	opterr = 0;
	for (;;) {
		int li = -1;
		int c = getopt_long(argc, argv, ":hvfixyluepscadSt:", long_opts, &li);
		if (c == -1)
			break;
		switch (c) {
		case 'h': o->help = 1; return NULL;
		case 'v': o->version = 1; return NULL;
		case OPT_PRINT_CKR_SIZE: o->print_ckr_size = 1; return NULL;
		case 'f':
			o->load = 1; o->shutdown = 0; o->sync = 1; o->ifdown = 1; o->exec = 1;
			break;
		case 'l':
			o->opt_load = 1; o->load = 1; o->exec = 0; o->shutdown = 0;
			break;
		case 'p':
			o->panic = 1; o->load = 1; o->exec = 0; o->shutdown = 0; o->sync = 0;
			break;
		case 'u':
			o->load = 0; o->shutdown = 0; o->sync = 0; o->unload = 1;
			break;
		case 'e':
			o->load = 0; o->shutdown = 0; o->sync = 1; o->ifdown = 1; o->exec = 1;
			break;
		case 'x': skip_ifdown = 1; break;
		case 'y': skip_sync = 1; break;
		case 'i': break; /* kexec_file_load's purgatory always checks */
		case 't': o->type = optarg; break;
		case 's': o->syscall = KD_KEXEC_FILE; break;
		case 'c': o->syscall = KD_KEXEC_CLASSIC; break;
		case 'a': o->syscall = KD_KEXEC_AUTO; break;
		case 'd': o->debug = 1; break;
		case 'S': o->status = 1; break;
		case OPT_APPEND: o->append = optarg; break;
		case OPT_REUSE_CMDLINE: o->reuse_cmdline = 1; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case OPT_IGNORED: break;
		case OPT_MEM_MIN:
		case OPT_MEM_MAX: {
			unsigned long long v;
			kd_err *e = parse_addr(optarg, &v);
			if (e)
				return kd_err_wrap(e, "--%s", long_name(li));
			*(c == OPT_MEM_MIN ? &o->mem_min : &o->mem_max) = v;
			break;
		}
		case OPT_CLASSIC:
		case OPT_CLASSIC_ARG:
			if (!o->classic_option)
				o->classic_option = long_name(li);
			break;
		case ':':
			if (optopt && optopt < 256)
				return kd_err_new(0, "option -%c needs an argument", optopt);
			return kd_err_new(0, "option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return kd_err_new(0, "unknown option -%c", optopt);
			return kd_err_new(0, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->kernel = argv[optind++];
	if (optind < argc)
		return kd_err_new(0, "one kernel at a time: unexpected argument '%s'", argv[optind]);
	if (skip_sync)
		o->sync = 0;
	if (skip_ifdown)
		o->ifdown = 0;
	if (o->status) {
		/* -S asks about the panic slot unless -l asked about the reboot slot */
		if (!o->opt_load)
			o->panic = 1;
		o->load = o->unload = o->shutdown = o->sync = o->ifdown = o->exec = 0;
	}
	/* "-u -p" without a file: -p picked the slot to unload (kexec-tools would unload, then
	 * fail for want of a kernel to load) */
	if (o->unload && o->load && !o->kernel)
		o->load = 0;
	if (o->load && !o->kernel)
		return kd_err_new(0, "No kernel specified");
	return NULL;
}

const char *kd_kexec_usage(void)
{
	return "Usage: kexec [OPTION]... [kernel]\n"
	       "Load a kernel to boot into (-l, then -e) or to run on a panic (-p).\n"
	       "\n"
	       " -h, --help              print this help\n"
	       " -v, --version           print the version\n"
	       " -l, --load              load the kernel for kexec -e\n"
	       " -p, --load-panic        load the kernel to run on a panic (capture kernel)\n"
	       " -u, --unload            unload the kernel (with -p: the capture kernel)\n"
	       " -e, --exec              boot into the kernel loaded with -l\n"
	       " -f, --force             load and boot into it at once, without shutdown\n"
	       " -x, --no-ifdown         do not take network interfaces down before -e\n"
	       " -y, --no-sync           do not sync filesystems before -e\n"
	       " -S, --status            exit 1 if a kernel is loaded (the capture kernel\n"
	       "                         unless -l is given), 0 if not\n"
	       " -s, --kexec-file-syscall   load with kexec_file_load only\n"
	       " -c, --kexec-syscall        load with kexec_load (kdumpkit places the segments\n"
	       "                            and its own purgatory checks them)\n"
	       " -a, --kexec-syscall-auto   kexec_file_load, kexec_load if the kernel cannot\n"
	       "                            (the default)\n"
	       " -d, --debug             report what is loaded where\n"
	       " -t, --type=TYPE         fail unless the image is TYPE (bzImage64, elf-x86_64)\n"
	       "     --print-ckr-size    print the size of the crash kernel region in bytes\n"
	       "     --mem-min=ADDR, --mem-max=ADDR\n"
	       "                         place every segment within [ADDR, ADDR] (kexec_load)\n"
	       "     --append=STRING, --command-line=STRING\n"
	       "                         the new kernel's command line\n"
	       "     --reuse-cmdline     start from this kernel's command line (without\n"
	       "                         BOOT_IMAGE=, and for -p without crashkernel=)\n"
	       "     --initrd=FILE, --ramdisk=FILE\n"
	       "                         the initramfs\n"
	       "\n"
	       "The image may be a bzImage or ELF vmlinux, compressed with gzip, xz or zstd.\n";
}
