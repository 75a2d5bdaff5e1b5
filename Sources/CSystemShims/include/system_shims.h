#ifndef SPOOLSWEEP_SYSTEM_SHIMS_H
#define SPOOLSWEEP_SYSTEM_SHIMS_H
/* System calls Swift's Glibc module does not expose. */

/* Renames olddirfd/oldpath to newdirfd/newpath only if newpath does not exist (renameat2 with
   RENAME_NOREPLACE). Returns 0, or -1 with errno set; errno EINVAL or ENOSYS means the file
   system cannot do it (the caller then links and unlinks). */
int spoolsweep_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

#endif
