#include "kexec/status.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

kd_err *kd_kexec_loaded_at(const char *path, int *loaded)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_wrap(kd_err_errno("opening"), "%s", path);
	char buf[16];
	ssize_t n;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	int err = errno;
	close(fd);
	if (n < 0)
		return kd_err_wrap(kd_err_new(err, "reading"), "%s", path);
	buf[n] = '\0';
	/* the kernel writes "0\n" or "1\n" */
	if ((buf[0] != '0' && buf[0] != '1') || (buf[1] != '\n' && buf[1] != '\0'))
		return kd_err_new(EINVAL, "%s: \"0\" or \"1\" expected", path);
	*loaded = buf[0] == '1';
	return NULL;
}

kd_err *kd_kexec_loaded(int crash, int *loaded)
{
	return kd_kexec_loaded_at(crash ? KD_KEXEC_CRASH_LOADED_PATH : KD_KEXEC_LOADED_PATH, loaded);
}
