#define _GNU_SOURCE
#include "kexec/exec.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "kexec/status.h"
#include "kexec/syscall.h"

int kd_kexec_ifdown(void)
{
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs)
		return 0;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int down = 0;
	for (struct if_nameindex *i = ifs; sock >= 0 && i->if_index; i++) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		strncpy(ifr.ifr_name, i->if_name, IFNAMSIZ - 1);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_LOOPBACK) ||
		    !(ifr.ifr_flags & IFF_UP))
			continue;
		ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
			kd_warn("taking %s down: %s", i->if_name, strerror(errno));
			continue;
		}
		kd_debug("%s is down", i->if_name);
		down++;
	}
	if (sock >= 0)
		close(sock);
	if_freenameindex(ifs);
	return down;
}

kd_err *kd_kexec_exec(int do_sync, int do_ifdown)
{
	int loaded = 0;
	kd_err *e = kd_kexec_loaded(0, &loaded);
	if (e)
		return kd_err_wrap(e, "cannot tell whether a kernel is loaded");
	if (!loaded)
		return kd_err_new(0, "Nothing has been loaded! (load a kernel with kexec -l first)");
	if (do_sync)
		sync();
	if (do_ifdown)
		kd_kexec_ifdown();
	kd_debug("reboot(LINUX_REBOOT_CMD_KEXEC)");
	return kd_sys_reboot_kexec();
}
