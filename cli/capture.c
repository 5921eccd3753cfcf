/* init: the capture kernel's PID 1, /init in the initramfs kdumpkit builds (service/capture.h).
 * Run as anything but PID 1 it refuses: it would reboot the machine. */
#include <stdio.h>
#include <unistd.h>

#include "applets.h"
#include "service/capture.h"

int kd_capture_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (getpid() != 1) {
		fprintf(stderr, "init: this is the capture kernel's PID 1 (/init in the kdump "
				"initramfs); it saves the dump and reboots, so it runs only as PID 1 "
				"(this is PID %d)\n", (int)getpid());
		return 1;
	}
	kd_capture_pid1();
}
