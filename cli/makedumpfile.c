/* makedumpfile [OPTIONS] VMCORE DUMPFILE: the collector's front end, with makedumpfile's
 * meaning for the options kdump services pass:
 *   -d LEVEL   exclude: 1 zero, 2 cache, 4 cache with private, 8 user, 16 free pages
 *   -c/-l/-p/-z  zlib / lzo / snappy / zstd per page (none: pages stored raw)
 *   -E         ELF output                -F  flattened output on stdout (no DUMPFILE)
 *   -R         DUMPFILE from a flattened stream on stdin
 *   --num-threads N  --message-level N  --dump-dmesg  -f  -D  --show-stats  --dry-run
 * Usage and conflicting options: a message and exit 1, as makedumpfile. A failure while
 * writing leaves a dump whose header says incomplete (or no dump at all), and exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "base/log.h"
#include "dumpfile/collect.h"
#include "dumpfile/sink.h"
#include "kdumpkit-config.h"
#include "printk/printk.h"
#include "vmcore/dump.h"

/* makedumpfile's --message-level bits */
#define ML_PROGRESS 1
#define ML_COMMON   2
#define ML_ERROR    4
#define ML_DEBUG    8
#define ML_REPORT   16

enum { OPT_THREADS = 256, OPT_MSGLEVEL, OPT_DMESG, OPT_STATS, OPT_DRYRUN, OPT_CYCLIC,
       OPT_NONCYCLIC, OPT_SPLIT };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: makedumpfile [-c|-l|-p|-z] [-E] [-d LEVEL] [-f] [-D] [--num-threads N]\n"
		"                    [--message-level N] [--show-stats] [--dry-run] VMCORE DUMPFILE\n"
		"       makedumpfile -F [OPTIONS] VMCORE > FLATTENED\n"
		"       makedumpfile -R DUMPFILE < FLATTENED\n"
		"       makedumpfile --dump-dmesg VMCORE LOGFILE\n"
		"  -d LEVEL  pages to exclude, a sum of: 1 zero, 2 cache, 4 cache with private,\n"
		"            8 user data, 16 free (0-31)\n"
		"  -c, -l, -p, -z  compress pages with zlib, lzo, snappy or zstd\n"
		"  -E        write an ELF dump   -F  write the flattened format to stdout\n"
		"  -f        overwrite DUMPFILE  -D  debug messages\n");
}

static int fail(kd_err *e, int msglevel)
{
	if (msglevel & ML_ERROR)
		kd_err_print(stderr, "makedumpfile", e);
	kd_err_free(e);
	return 1;
}

static int bad_usage(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "makedumpfile: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, arg); /* every caller passes a literal with one %s */
#pragma GCC diagnostic pop
	fprintf(stderr, "\n");
	usage(stderr);
	return 1;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Create an output file as makedumpfile does: an existing one only with -f. */
static kd_err *open_output(const char *path, int force, int *fd)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
	if (*fd >= 0)
		return NULL;
	if (errno == EEXIST)
		return kd_err_new(EEXIST, "%s already exists (use -f to overwrite)", path);
	return kd_err_errno("creating %s", path);
}

static int dump_dmesg(const char *vmcore, const char *logfile, int force, int msglevel)
{
	struct kd_dump *d;
	kd_err *e = kd_dump_open(vmcore, &d);
	if (e)
		return fail(e, msglevel);
	int fd;
	if ((e = open_output(logfile, force, &fd))) {
		kd_dump_close(d);
		return fail(e, msglevel);
	}
	FILE *f = fdopen(fd, "w");
	struct kd_mem mem = kd_dump_mem(d);
	e = f ? kd_printk_write(&mem, f, NULL) : kd_err_errno("opening %s", logfile);
	if (f && fclose(f) != 0 && !e)
		e = kd_err_errno("writing %s", logfile);
	kd_dump_close(d);
	if (e)
		return fail(kd_err_wrap(e, "%s", vmcore), msglevel);
	if (msglevel & ML_COMMON)
		fprintf(stderr, "The dmesg log is saved to %s.\n", logfile);
	return 0;
}

static int reassemble(const char *dumpfile, int force, int msglevel)
{
	int fd;
	kd_err *e = open_output(dumpfile, force, &fd);
	if (e)
		return fail(e, msglevel);
	e = kd_flat_reassemble(0, "standard input", fd, dumpfile);
	if (!e && fsync(fd) < 0)
		e = kd_err_errno("syncing %s", dumpfile);
	if (close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", dumpfile);
	if (e)
		return fail(e, msglevel);
	if (msglevel & ML_COMMON)
		fprintf(stderr, "The dumpfile is saved to %s.\n", dumpfile);
	return 0;
}

int kd_makedumpfile_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "num-threads", required_argument, NULL, OPT_THREADS },
		{ "message-level", required_argument, NULL, OPT_MSGLEVEL },
		{ "dump-dmesg", no_argument, NULL, OPT_DMESG },
		{ "show-stats", no_argument, NULL, OPT_STATS },
		{ "dry-run", no_argument, NULL, OPT_DRYRUN },
		{ "cyclic-buffer", required_argument, NULL, OPT_CYCLIC },
		{ "non-cyclic", no_argument, NULL, OPT_NONCYCLIC },
		{ "split", no_argument, NULL, OPT_SPLIT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0, 0, 0, 0 },
	};
	struct kd_collect_opts o = { 0 };
	unsigned msglevel = ML_PROGRESS | ML_COMMON | ML_ERROR;
	int elf = 0, flat = 0, reasm = 0, dmesg = 0, force = 0, stats = 0, ncodecs = 0;
	int level_set = 0;
	unsigned v;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cd:DEfFhlpRvxz", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.codec = KD_CODEC_ZLIB; ncodecs++; break;
		case 'l': o.codec = KD_CODEC_LZO; ncodecs++; break;
		case 'p': o.codec = KD_CODEC_SNAPPY; ncodecs++; break;
		case 'z': o.codec = KD_CODEC_ZSTD; ncodecs++; break;
		case 'd':
			if (parse_uint(optarg, KD_DL_MAX, &v))
				return bad_usage("dump level '%s' is not 0-31", optarg);
			o.dump_level = v;
			level_set = 1;
			break;
		case 'D': msglevel |= ML_DEBUG; break;
		case 'E': elf = 1; break;
		case 'f': force = 1; break;
		case 'F': flat = 1; break;
		case 'R': reasm = 1; break;
		case OPT_THREADS:
			if (parse_uint(optarg, 64, &v))
				return bad_usage("--num-threads '%s' is not 0-64", optarg);
			o.threads = v;
			break;
		case OPT_MSGLEVEL:
			if (parse_uint(optarg, 31, &v))
				return bad_usage("--message-level '%s' is not 0-31", optarg);
			msglevel = v;
			break;
		case OPT_DMESG: dmesg = 1; break;
		case OPT_STATS: stats = 1; break;
		case OPT_DRYRUN: o.dry_run = 1; break;
		case OPT_CYCLIC:
			/* makedumpfile's cycle size in KiB of bitmap: we size cycles ourselves */
			if (parse_uint(optarg, ~0u, &v))
				return bad_usage("--cyclic-buffer '%s' is not a number", optarg);
			break;
		case OPT_NONCYCLIC: break; /* always cyclic: memory stays bounded */
		case OPT_SPLIT: return bad_usage("%s is not supported", "--split");
		case 'x': return bad_usage("%s is not supported: VMCOREINFO comes from the dump",
					   "-x VMLINUX");
		case 'h': usage(stdout); return 0;
		case 'v': printf("makedumpfile (kdumpkit) %s\n", KDUMPKIT_VERSION); return 0;
		case ':': return bad_usage("option '%s' needs an argument", argv[optind - 1]);
		default: return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	kd_log_set_prog("makedumpfile");
	kd_log_set_level((msglevel & ML_DEBUG) ? KD_LOG_DEBUG
			 : (msglevel & ML_COMMON) ? KD_LOG_WARN : KD_LOG_ERROR);
	int nargs = argc - optind;
	char **args = argv + optind;

	if (ncodecs > 1)
		return bad_usage("%s", "-c, -l, -p and -z are exclusive");
	if (reasm) {
		if (elf || flat || dmesg || ncodecs || level_set || nargs != 1)
			return bad_usage("%s", "-R takes only DUMPFILE (and the stream on stdin)");
		return reassemble(args[0], force, (int)msglevel);
	}
	if (dmesg) {
		if (elf || flat || nargs != 2)
			return bad_usage("%s", "--dump-dmesg takes VMCORE LOGFILE");
		return dump_dmesg(args[0], args[1], force, (int)msglevel);
	}
	if (elf && ncodecs)
		return bad_usage("%s", "-E writes an ELF dump: it cannot be compressed (-c/-l/-p/-z)");
	if (flat ? nargs != 1 : nargs != 2)
		return bad_usage("%s", flat ? "-F takes VMCORE only (the dump goes to stdout)"
					    : "VMCORE and DUMPFILE are needed");
	if (flat && isatty(1))
		return bad_usage("%s", "-F writes to stdout: redirect it to a file or a pipe");

	const char *vmcore = args[0], *dumpfile = flat ? "standard output" : args[1];
	struct kd_dump *in;
	kd_err *e = kd_dump_open(vmcore, &in);
	if (e)
		return fail(e, (int)msglevel);
	uint32_t in_level;
	if (kd_dump_level(in, &in_level) && (o.dump_level & in_level) != in_level) {
		e = kd_err_new(0, "%s was filtered at -d %u: -d %u would describe pages it no "
			       "longer holds; use a level that includes %u (e.g. -d %u)", vmcore,
			       in_level, o.dump_level, in_level, o.dump_level | in_level);
		kd_dump_close(in);
		return fail(e, (int)msglevel);
	}
	if (kd_dump_incomplete(in))
		kd_warn("%s is marked incomplete: the pages its writer never wrote stay out", vmcore);
	o.progress = (msglevel & ML_PROGRESS) != 0;
	o.elf = elf;
	/* more workers than CPUs only cost memory (two page batches each) */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus > 0 && o.threads > (unsigned)cpus) {
		kd_info("--num-threads %u: %ld CPUs online, using %ld", o.threads, cpus, cpus);
		o.threads = (unsigned)cpus;
	}

	int fd = 1;
	if (!flat && !o.dry_run && (e = open_output(dumpfile, force, &fd))) {
		kd_dump_close(in);
		return fail(e, (int)msglevel);
	}
	struct kd_sink *sink = NULL;
	if (!o.dry_run)
		e = flat ? kd_sink_flat(fd, dumpfile, &sink) : kd_sink_file(fd, dumpfile, &sink);
	struct kd_collect_stats st;
	if (!e)
		e = kd_collect(in, sink, &o, &st);
	kd_sink_free(sink);
	if (fd != 1 && close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", dumpfile);
	kd_dump_close(in);
	if (e) {
		e = kd_err_wrap(e, "writing %s", dumpfile);
		if (!flat && !o.dry_run && !elf && (msglevel & ML_ERROR))
			fprintf(stderr, "makedumpfile: %s is not a complete dump (if its header was "
				"written, it is marked incomplete)\n", dumpfile);
		return fail(e, (int)msglevel);
	}
	if (stats || (msglevel & ML_REPORT))
		kd_collect_print_stats(stderr, &st);
	if ((msglevel & ML_COMMON) && !o.dry_run)
		fprintf(stderr, "The dumpfile is saved to %s.\n\nmakedumpfile Completed.\n",
			dumpfile);
	return 0;
}
