/* The applets of the multi-call binary. Each front-end is one file in cli/ with one entry
 * point; an applet whose subsystem has not landed yet has main == NULL. */
#ifndef KD_CLI_APPLETS_H
#define KD_CLI_APPLETS_H

struct kd_applet {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

extern const struct kd_applet kd_applets[];
extern const unsigned kd_applet_count;

/* Applet entry points (cli/<applet>.c). */
int kd_vmcore_dmesg_main(int argc, char **argv);
int kd_makedumpfile_main(int argc, char **argv);
int kd_report_main(int argc, char **argv);
int kd_kexec_main(int argc, char **argv);
int kd_capture_main(int argc, char **argv);
/* kdumpctl and kdump-config (argv[0] tells which) */
int kd_kdumpctl_main(int argc, char **argv);

const struct kd_applet *kd_applet_find(const char *name);
/* Dispatch: argv[0]'s basename names an applet, or argv[0] is kdumpkit and argv[1] does. */
int kd_multicall(int argc, char **argv);

#endif
