/* options.h - what every vkit tool accepts, on popt. */
#ifndef VK_OPTIONS_H
#define VK_OPTIONS_H

#include <popt.h>
#include <stdbool.h>
#include <stdio.h>

/* -q/--quiet, -v/--debug, --version (plus popt's --help/--usage through
 * POPT_AUTOHELP, which the tool adds to its own table). Include with
 *   { NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL } */
extern struct poptOption vk_common_options[];
extern bool vk_quiet;

/* --connect URI as virsh, virt-install and virt-top take it.  Tools whose
 * original has -c for it include vk_connect_options; vinstall (-c is
 * --cdrom there) and vclone include vk_connect_long_options.  When a
 * table includes either, vk_options_parse() checks the URI (or
 * LIBVIRT_DEFAULT_URI when --connect is not given) with
 * vk_connect_uri_check() and refuses the command line if it fails. */
extern struct poptOption vk_connect_options[];
extern struct poptOption vk_connect_long_options[];

/* 0 when uri names the KVM hypervisor on this host (qemu:///system,
 * qemu:///session, kvm:///system, qemu+unix:///system?socket=..., or ""
 * for the default); -EOPNOTSUPP with a message saying why otherwise
 * (another host, a network transport, another hypervisor driver),
 * -EINVAL when it is not a libvirt URI at all. */
int vk_connect_uri_check(const char *uri);

/* -h as help, for tools whose original's -h is help (virsh, virt-install,
 * virt-clone); not vdf (virt-df's -h is --human-readable) nor vtop. */
extern struct poptOption vk_help_short_options[];

/* The table's options as popt's --help lists them, laid out to fit 80
 * columns (vk_options_parse() prints this for --help, -? and -h). */
void vk_options_print_help(FILE *out, const struct poptOption *table, const char *other_help);

/* Parse argv with the tool's table.  Returns 0 when the tool should go on,
 * 1 when it already did its job (--version or --help printed), -EINVAL after printing
 * "PROG: message" and a hint to use --help.  *ctx_out receives the context
 * for poptGetArgs(); free it with poptFreeContext().  On 1 and on errors
 * *ctx_out is NULL.  Options in the tool's table must store their value
 * through arg pointers (POPT_ARG_ARGV for repeated ones such as --disk):
 * values returned by poptGetNextOpt() are consumed here. */
int vk_options_parse(int argc, const char **argv, const struct poptOption *table,
		     const char *other_help, poptContext *ctx_out);

/*
 * argparse's abbreviations, as virt-install and virt-clone take them: every
 * argument "--PREFIX" or "--PREFIX=VALUE" (before "--") where PREFIX starts
 * exactly one long option of table (and the tables it includes) is spelled
 * out in a copy of argv, *out (NULL-terminated; free it with
 * vk_options_argv_free()).  Exact names and unknown words are left for
 * popt.  -EINVAL with argparse's message when PREFIX starts several.
 */
int vk_options_expand_abbrev(int argc, const char **argv, const struct poptOption *table, const char ***out);
/* Free a copy of argv whose entries that differ from argv's were allocated. */
void vk_options_argv_free(const char **copy, int argc, const char *const *argv);

/* Print "PROG: msg" (msg from vk_last_error() when NULL) to stderr. */
void vk_report(const char *msg);
/* Print "PROG: object: msg" from vk_last_error(). */
void vk_report_object(const char *object);

#endif
