/* makedumpfile's command line: parse (no output) and run. See mdf_cmd.h. */
#include "dumpfile/mdf_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "dumpfile/sink.h"
#include "printk/printk.h"
#include "vmcore/dump.h"

enum { OPT_THREADS = 256, OPT_MSGLEVEL, OPT_DMESG, OPT_STATS, OPT_DRYRUN, OPT_CYCLIC,
       OPT_NONCYCLIC, OPT_SPLIT };

/* What the option loop saw, before the modes are checked against each other. */
struct seen {
	int elf, flat, reasm, dmesg, ncodecs, level_set, help, version;
	int nargs;
	char **args;
};

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

static kd_err *parse_opts(int argc, char **argv, struct kd_mdf_cmd *cmd, struct seen *s)
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
	*cmd = (struct kd_mdf_cmd){ .msglevel = KD_MDF_ML_PROGRESS | KD_MDF_ML_COMMON |
						KD_MDF_ML_ERROR };
	*s = (struct seen){ 0 };
	unsigned v;
	int c;
	optind = 0; /* glibc: 0 also resets getopt's state left by an earlier argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cd:DEfFhlpRvxz", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cmd->opts.codec = KD_CODEC_ZLIB; s->ncodecs++; break;
		case 'l': cmd->opts.codec = KD_CODEC_LZO; s->ncodecs++; break;
		case 'p': cmd->opts.codec = KD_CODEC_SNAPPY; s->ncodecs++; break;
		case 'z': cmd->opts.codec = KD_CODEC_ZSTD; s->ncodecs++; break;
		case 'd':
			if (parse_uint(optarg, KD_DL_MAX, &v))
				return kd_err_new(0, "dump level '%s' is not 0-31", optarg);
			cmd->opts.dump_level = v;
			s->level_set = 1;
			break;
		case 'D': cmd->msglevel |= KD_MDF_ML_DEBUG; break;
		case 'E': s->elf = 1; break;
		case 'f': cmd->force = 1; break;
		case 'F': s->flat = 1; break;
		case 'R': s->reasm = 1; break;
		case OPT_THREADS:
			if (parse_uint(optarg, 64, &v))
				return kd_err_new(0, "--num-threads '%s' is not 0-64", optarg);
			cmd->opts.threads = v;
			break;
		case OPT_MSGLEVEL:
			if (parse_uint(optarg, 31, &v))
				return kd_err_new(0, "--message-level '%s' is not 0-31", optarg);
			cmd->msglevel = v;
			break;
		case OPT_DMESG: s->dmesg = 1; break;
		case OPT_STATS: cmd->stats = 1; break;
		case OPT_DRYRUN: cmd->opts.dry_run = 1; break;
		case OPT_CYCLIC:
			/* makedumpfile's cycle size in KiB of bitmap: we size cycles ourselves */
			if (parse_uint(optarg, ~0u, &v))
				return kd_err_new(0, "--cyclic-buffer '%s' is not a number", optarg);
			break;
		case OPT_NONCYCLIC: break; /* always cyclic: memory stays bounded */
		case OPT_SPLIT: return kd_err_new(0, "--split is not supported");
		case 'x':
			return kd_err_new(0, "-x VMLINUX is not supported: VMCOREINFO comes "
					  "from the dump");
		case 'h': s->help = 1; break;
		case 'v': s->version = 1; break;
		case ':': return kd_err_new(0, "option '%s' needs an argument", argv[optind - 1]);
		default: return kd_err_new(0, "unknown option '%s'", argv[optind - 1]);
		}
		/* makedumpfile acts on -h/-v at once, whatever follows */
		if (s->help || s->version)
			break;
	}
	s->nargs = argc - optind;
	s->args = argv + optind;
	return NULL;
}

/* The modes against each other and the file arguments they take (nargs as given). */
static kd_err *check_modes(const struct seen *s, int nargs)
{
	if (s->ncodecs > 1)
		return kd_err_new(0, "-c, -l, -p and -z are exclusive");
	if (s->reasm) {
		if (s->elf || s->flat || s->dmesg || s->ncodecs || s->level_set || nargs != 1)
			return kd_err_new(0, "-R takes only DUMPFILE (and the stream on stdin)");
		return NULL;
	}
	if (s->dmesg) {
		if (s->elf || s->flat || nargs != 2)
			return kd_err_new(0, "--dump-dmesg takes VMCORE LOGFILE");
		return NULL;
	}
	if (s->elf && s->ncodecs)
		return kd_err_new(0, "-E writes an ELF dump: it cannot be compressed "
				  "(-c/-l/-p/-z)");
	if (s->flat ? nargs != 1 : nargs != 2)
		return kd_err_new(0, "%s", s->flat
				  ? "-F takes VMCORE only (the dump goes to stdout)"
				  : "VMCORE and DUMPFILE are needed");
	return NULL;
}

kd_err *kd_mdf_parse(int argc, char **argv, struct kd_mdf_cmd *cmd)
{
	struct seen s;
	kd_err *e = parse_opts(argc, argv, cmd, &s);
	if (e)
		return e;
	if (s.help || s.version) {
		cmd->mode = s.help ? KD_MDF_HELP : KD_MDF_VERSION;
		return NULL;
	}
	if ((e = check_modes(&s, s.nargs)))
		return e;
	cmd->opts.elf = s.elf;
	if (s.reasm) {
		cmd->mode = KD_MDF_REASSEMBLE;
		cmd->output = s.args[0];
	} else if (s.dmesg) {
		cmd->mode = KD_MDF_DMESG;
		cmd->vmcore = s.args[0];
		cmd->output = s.args[1];
	} else if (s.flat) {
		cmd->mode = KD_MDF_FLAT;
		cmd->vmcore = s.args[0];
	} else {
		cmd->mode = KD_MDF_COLLECT;
		cmd->vmcore = s.args[0];
		cmd->output = s.args[1];
	}
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

int kd_mdf_collector_is_copy(char *const *argv)
{
	if (!argv || !argv[0])
		return 0;
	const char *b = base_name(argv[0]);
	return !strcmp(b, "cp") || !strcmp(b, "cat");
}

/* Parse a core_collector's words: *s says what they hold. */
static kd_err *parse_collector(char *const *argv, struct kd_mdf_cmd *cmd, struct seen *s)
{
	if (!argv || !argv[0])
		return kd_err_new(0, "core_collector is empty: write e.g. "
				  "\"makedumpfile -l --message-level 7 -d 31\"");
	if (strcmp(base_name(argv[0]), "makedumpfile"))
		return kd_err_new(0, "core_collector '%s' is not makedumpfile, cp or cat: "
				  "kdumpkit runs the collector in-process and no other program",
				  argv[0]);
	int argc = 0;
	while (argv[argc])
		argc++;
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy)
		return kd_err_new(ENOMEM, "checking core_collector");
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	kd_err *e = parse_opts(argc, copy, cmd, s);
	if (!e && s->nargs > 0)
		e = kd_err_new(0, "'%s' is a file argument: the service adds /proc/vmcore and "
			       "the dump file itself", s->args[0]);
	else if (!e && (s->reasm || s->dmesg))
		e = kd_err_new(0, "%s: the service saves the dump (and its log) itself; remove it",
			       s->reasm ? "-R" : "--dump-dmesg");
	else if (!e && (s->help || s->version || cmd->opts.dry_run))
		e = kd_err_new(0, "%s writes no dump; remove it",
			       s->help ? "-h" : s->version ? "-v" : "--dry-run");
	else if (!e) {
		struct seen as_run = *s;
		as_run.flat = 0; /* the target decides */
		e = check_modes(&as_run, 2);
	}
	free(copy);
	return e ? kd_err_wrap(e, "core_collector") : NULL;
}

kd_err *kd_mdf_check_collector(char *const *argv)
{
	if (kd_mdf_collector_is_copy(argv)) {
		if (argv[1])
			return kd_err_new(0, "core_collector %s takes no arguments (it is a full "
					  "copy of the vmcore): remove '%s'", argv[0], argv[1]);
		return NULL;
	}
	struct kd_mdf_cmd cmd;
	struct seen s;
	return parse_collector(argv, &cmd, &s);
}

kd_err *kd_mdf_collector_cmd(char *const *words, const char *vmcore, const char *output,
			     struct kd_mdf_cmd *cmd)
{
	if (kd_mdf_collector_is_copy(words))
		return kd_err_new(0, "core_collector %s is a copy, not a makedumpfile command",
				  words[0]);
	struct seen s;
	kd_err *e = parse_collector(words, cmd, &s);
	if (e)
		return e;
	cmd->opts.elf = s.elf;
	cmd->mode = output ? KD_MDF_COLLECT : KD_MDF_FLAT;
	cmd->vmcore = vmcore;
	cmd->output = output;
	return NULL;
}

/* Create an output file as makedumpfile does: an existing one only with -f. Dumps hold
 * kernel memory: readable by root only. */
static kd_err *open_output(const char *path, int force, int *fd)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
	if (*fd >= 0)
		return NULL;
	if (errno == EEXIST)
		return kd_err_new(EEXIST, "%s already exists (use -f to overwrite)", path);
	return kd_err_errno("creating %s", path);
}

static kd_err *dump_dmesg(const struct kd_mdf_cmd *cmd, FILE *msg)
{
	struct kd_dump *d;
	kd_err *e = kd_dump_open(cmd->vmcore, &d);
	if (e)
		return e;
	int fd;
	if ((e = open_output(cmd->output, cmd->force, &fd))) {
		kd_dump_close(d);
		return e;
	}
	FILE *f = fdopen(fd, "w");
	struct kd_mem mem = kd_dump_mem(d);
	e = f ? kd_printk_write(&mem, f, NULL) : kd_err_errno("opening %s", cmd->output);
	if (!f)
		close(fd);
	if (f && fclose(f) != 0 && !e)
		e = kd_err_errno("writing %s", cmd->output);
	kd_dump_close(d);
	if (e)
		return kd_err_wrap(e, "%s", cmd->vmcore);
	if (msg && (cmd->msglevel & KD_MDF_ML_COMMON))
		fprintf(msg, "The dmesg log is saved to %s.\n", cmd->output);
	return NULL;
}

static kd_err *reassemble(const struct kd_mdf_cmd *cmd, int in_fd, const char *in_name,
			  FILE *msg)
{
	int fd;
	kd_err *e = open_output(cmd->output, cmd->force, &fd);
	if (e)
		return e;
	e = kd_flat_reassemble(in_fd, in_name, fd, cmd->output);
	if (!e && fsync(fd) < 0)
		e = kd_err_errno("syncing %s", cmd->output);
	if (close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", cmd->output);
	if (e)
		return e;
	if (msg && (cmd->msglevel & KD_MDF_ML_COMMON))
		fprintf(msg, "The dumpfile is saved to %s.\n", cmd->output);
	return NULL;
}

static kd_err *collect(const struct kd_mdf_cmd *cmd, int out_fd, const char *out_name,
		       FILE *msg)
{
	int flat = cmd->mode == KD_MDF_FLAT;
	const char *vmcore = cmd->vmcore, *dumpfile = flat ? out_name : cmd->output;
	struct kd_collect_opts o = cmd->opts;
	struct kd_dump *in;
	kd_err *e = kd_dump_open(vmcore, &in);
	if (e)
		return e;
	uint32_t in_level;
	if (kd_dump_level(in, &in_level) && (o.dump_level & in_level) != in_level) {
		e = kd_err_new(0, "%s was filtered at -d %u: -d %u would describe pages it no "
			       "longer holds; use a level that includes %u (e.g. -d %u)", vmcore,
			       in_level, o.dump_level, in_level, o.dump_level | in_level);
		kd_dump_close(in);
		return e;
	}
	if (kd_dump_incomplete(in))
		kd_warn("%s is marked incomplete: the pages its writer never wrote stay out", vmcore);
	o.progress = (cmd->msglevel & KD_MDF_ML_PROGRESS) != 0;
	/* more workers than CPUs only cost memory (two page batches each) */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus > 0 && o.threads > (unsigned)cpus) {
		kd_info("--num-threads %u: %ld CPUs online, using %ld", o.threads, cpus, cpus);
		o.threads = (unsigned)cpus;
	}

	int fd = out_fd, own = 0;
	if (!flat && !o.dry_run) {
		if ((e = open_output(dumpfile, cmd->force, &fd))) {
			kd_dump_close(in);
			return e;
		}
		own = 1;
	}
	struct kd_sink *sink = NULL;
	if (!o.dry_run)
		e = flat ? kd_sink_flat(fd, dumpfile, &sink) : kd_sink_file(fd, dumpfile, &sink);
	struct kd_collect_stats st;
	if (!e)
		e = kd_collect(in, sink, &o, &st);
	kd_sink_free(sink);
	if (own && close(fd) < 0 && !e)
		e = kd_err_errno("closing %s", dumpfile);
	kd_dump_close(in);
	if (e) {
		if (msg && !flat && !o.dry_run && !o.elf && (cmd->msglevel & KD_MDF_ML_ERROR))
			fprintf(msg, "makedumpfile: %s is not a complete dump (if its header was "
				"written, it is marked incomplete)\n", dumpfile);
		return kd_err_wrap(e, "writing %s", dumpfile);
	}
	if (msg && (cmd->stats || (cmd->msglevel & KD_MDF_ML_REPORT)))
		kd_collect_print_stats(msg, &st);
	if (msg && (cmd->msglevel & KD_MDF_ML_COMMON) && !o.dry_run)
		fprintf(msg, "The dumpfile is saved to %s.\n\nmakedumpfile Completed.\n", dumpfile);
	return NULL;
}

kd_err *kd_mdf_run(const struct kd_mdf_cmd *cmd, int fd, const char *fd_name, FILE *msg)
{
	switch (cmd->mode) {
	case KD_MDF_COLLECT:
	case KD_MDF_FLAT:
		return collect(cmd, fd, fd_name, msg);
	case KD_MDF_REASSEMBLE:
		return reassemble(cmd, fd, fd_name, msg);
	case KD_MDF_DMESG:
		return dump_dmesg(cmd, msg);
	case KD_MDF_HELP:
	case KD_MDF_VERSION:
		break;
	}
	return kd_err_new(0, "makedumpfile: -h and -v print, they do not run");
}
