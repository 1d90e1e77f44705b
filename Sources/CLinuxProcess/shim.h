// Linux process controls that Glibc's Swift module leaves out: the real headers, nothing redeclared. prctl is
// variadic and unshare sits behind _GNU_SOURCE (which would make these headers differ from Glibc's module), so
// each is reached through a fixed-argument inline function.
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int kyso_prctl(int option, unsigned long argument) { return prctl(option, argument, 0UL, 0UL, 0UL); }
static inline int kyso_unshare(unsigned long flags) { return (int)syscall(SYS_unshare, flags); }
