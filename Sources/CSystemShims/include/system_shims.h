#ifndef SPOOLSWEEP_SYSTEM_SHIMS_H
#define SPOOLSWEEP_SYSTEM_SHIMS_H
/* System calls Swift's Glibc module does not expose. */

/* Renames olddirfd/oldpath to newdirfd/newpath only if newpath does not exist (renameat2 with
   RENAME_NOREPLACE). Returns 0, or -1 with errno set; errno EINVAL or ENOSYS means the file
   system cannot do it (the caller then links and unlinks). */
int spoolsweep_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/* An anonymous in-memory file (memfd_create, close-on-exec), or -1 with errno set. */
int spoolsweep_memfd(const char *name);

/* Runs the program at path with argv (NULL-terminated) and the caller's environment, its
   standard input read from in_fd and its standard output and error written to out_fd, and
   waits for it. Returns its wait status, or -1 with errno set when it cannot be started. */
int spoolsweep_run(const char *path, char *const argv[], int in_fd, int out_fd);

/* Starts the program at path with argv and envp (both NULL-terminated) in a process group of
   its own, its standard input read from in_fd and its standard output and error written to
   out_fd, and does not wait. Returns its pid, or -1 with errno set. */
#include <sys/types.h>
pid_t spoolsweep_spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd);

/* Catches SIGTERM, SIGINT and SIGHUP (unblocked; no restart of interrupted calls) and ignores SIGPIPE;
   spoolsweep_stop_signal() is then the last of them received, or 0. */
void spoolsweep_catch_stop_signals(void);
int spoolsweep_stop_signal(void);

/* The CPUs this process may run on (its affinity mask, as taskset sets it); at least 1. */
int spoolsweep_cpu_count(void);

#endif
