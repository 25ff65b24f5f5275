/* hostcmd.h - running the host's network programs (nft, dnsmasq): found in PATH or named by the package that has them, input given, output kept. */
#ifndef VK_NET_HOSTCMD_H
#define VK_NET_HOSTCMD_H

/* What one run may print before the rest is dropped: nft's listings of a
 * busy host's ruleset are larger than anything else we read. */
#define VK_HOSTCMD_OUTPUT_MAX (4 * 1024 * 1024)

/* program's full path from $PATH (malloc'd), or -ENOENT with a message
 * saying what needs it and which Debian package to install. */
int vk_hostcmd_find(const char *program, const char *package, const char *needed_for, char **out);

/* Runs argv (argv[0] a full path) with input on its standard input (NULL:
 * none) and its standard output and error together in *output (malloc'd,
 * NUL-terminated, cut at VK_HOSTCMD_OUTPUT_MAX; output NULL: dropped).
 * Returns its exit status (128 + N for a signal) or -errno when it could
 * not be run. */
int vk_hostcmd_run(char *const argv[], const char *input, char **output);

/* The last line of a program's output, for a message (a static copy). */
const char *vk_hostcmd_last_line(const char *output);

#endif
