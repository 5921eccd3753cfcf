/* kdump_pre / kdump_post: checked when the service loads, not when the machine has crashed.
 * The capture environment is kdumpkit as PID 1 with no shell and no shared libraries, so the
 * program must be a statically linked ELF executable for this machine: no "#!" script, no
 * PT_INTERP. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/config.h"

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_MACHINE EM_RISCV
#else
#define HOST_MACHINE EM_NONE /* unknown: the machine is not checked */
#endif

#define STATIC_HINT "give a statically linked program (e.g. built with -static)"

static kd_err *read_at(int fd, void *buf, size_t len, off_t off, const char *what,
		       const char *path)
{
	ssize_t n = pread(fd, buf, len, off);
	if (n < 0)
		return kd_err_errno("%s %s: reading it", what, path);
	if ((size_t)n != len)
		return kd_err_new(ENOEXEC, "%s %s: not an ELF program (the file ends early); "
				  STATIC_HINT, what, path);
	return NULL;
}

kd_err *kd_svc_check_static_program(const char *what, const char *path)
{
	if (path[0] != '/')
		return kd_err_new(EINVAL, "%s \"%s\": write the program's absolute path", what,
				  path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT
			? kd_err_new(ENOENT, "%s %s: no such file; install the program there or "
				     "correct the path", what, path)
			: kd_err_errno("%s %s: opening it", what, path);
	struct stat st;
	kd_err *err = NULL;
	if (fstat(fd, &st) < 0) {
		err = kd_err_errno("%s %s", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = kd_err_new(EINVAL, "%s %s: not a regular file; %s", what, path, STATIC_HINT);
		goto out;
	}
	if (!(st.st_mode & 0111)) {
		err = kd_err_new(EACCES, "%s %s: not executable; chmod +x it", what, path);
		goto out;
	}
	unsigned char id[EI_NIDENT];
	ssize_t n = pread(fd, id, sizeof(id), 0);
	if (n < 0) {
		err = kd_err_errno("%s %s: reading it", what, path);
		goto out;
	}
	if (n >= 2 && id[0] == '#' && id[1] == '!') {
		err = kd_err_new(ENOEXEC, "%s %s: a script, and kdumpkit's capture environment has "
				 "no shell to run it; %s", what, path, STATIC_HINT);
		goto out;
	}
	if (n < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG)) {
		err = kd_err_new(ENOEXEC, "%s %s: not an ELF program; %s", what, path, STATIC_HINT);
		goto out;
	}
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
							  ? ELFDATA2LSB : ELFDATA2MSB)) {
		err = kd_err_new(ENOEXEC, "%s %s: an ELF file for another kind of machine (not "
				 "64-bit, native byte order); %s for this machine", what, path,
				 STATIC_HINT);
		goto out;
	}
	Elf64_Ehdr eh;
	if ((err = read_at(fd, &eh, sizeof(eh), 0, what, path)))
		goto out;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		err =
		    kd_err_new(ENOEXEC, "%s %s: an ELF file that is not a program (e_type %u); %s",
			       what, path, eh.e_type, STATIC_HINT);
		goto out;
	}
	if (HOST_MACHINE != EM_NONE && eh.e_machine != HOST_MACHINE) {
		err = kd_err_new(ENOEXEC, "%s %s: built for another machine (e_machine %u); %s for "
				 "this machine", what, path, eh.e_machine, STATIC_HINT);
		goto out;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) {
		err =
		    kd_err_new(ENOEXEC, "%s %s: an ELF program without usable program headers; %s",
			       what, path, STATIC_HINT);
		goto out;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if ((err = read_at(fd, &ph, sizeof(ph),
				   (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph)), what, path)))
			goto out;
		if (ph.p_type != PT_INTERP)
			continue;
		char interp[256] = "";
		size_t il = ph.p_filesz < sizeof(interp) - 1 ? ph.p_filesz : sizeof(interp) - 1;
		if (pread(fd, interp, il, (off_t)ph.p_offset) < 0)
			interp[0] = '\0';
		for (size_t k = 0; k < il; k++) /* it goes into a message */
			if (interp[k] && (interp[k] < 0x20 || interp[k] > 0x7e))
				interp[k] = '?';
		err = kd_err_new(ENOEXEC,
				 "%s %s: dynamically linked (it asks for %s), and kdumpkit's "
				 "capture environment has no shared libraries; %s",
				 what, path, interp[0] ? interp : "a program interpreter",
				 STATIC_HINT);
		goto out;
	}
out:
	close(fd);
	return err;
}
