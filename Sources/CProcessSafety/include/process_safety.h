// prctl(2) is variadic in glibc, and Swift does not import variadic C functions: these fixed-argument
// wrappers are all kysod needs of it.
#ifndef KYSO_PROCESS_SAFETY_H
#define KYSO_PROCESS_SAFETY_H

/// prctl(PR_SET_DUMPABLE, value): 0 forbids core dumps and ptrace attach by the same uid, and makes
/// /proc/PID/ root's. Returns 0 or -1 with errno set.
int kyso_set_dumpable(int value);

/// prctl(PR_GET_DUMPABLE): 0, 1 or 2, or -1 with errno set.
int kyso_get_dumpable(void);

#endif
