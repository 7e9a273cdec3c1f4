/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the xeth link plugins share.  Every xeth kind has at most one
 * option, so a plugin is a description of that option and common.c does
 * the parsing, printing and error reporting for all of them; that keeps
 * the messages and the help of the kinds alike.
 */
#ifndef XETH_IPROUTE2_COMMON_H
#define XETH_IPROUTE2_COMMON_H

#include <linux/types.h>

#include "link_util.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct xeth_ip_opt {
	const char *key;		/* as typed after "type KIND" */
	int attr;			/* IFLA_XETH_* in IFLA_INFO_DATA */
	unsigned int size;		/* of the attribute: 1, 2 or 4 bytes */
	__u32 min, max;
	/*
	 * Names of the values, indexed by value, for an option that takes a
	 * word instead of a number; NULL for a number.
	 */
	const char * const *names;
	int n_names;
};

struct xeth_ip_kind {
	/* first, so that ip, which only knows this part, can be handed it */
	struct link_util lu;
	const char *args;		/* the usage after "type KIND" */
	const char *details;		/* more usage lines, or NULL */
	const struct xeth_ip_opt *opt;	/* NULL: the kind has no options */
};

int xeth_ip_parse_opt(struct link_util *lu, int argc, char **argv,
		      struct nlmsghdr *n);
void xeth_ip_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[]);
void xeth_ip_print_help(struct link_util *lu, int argc, char **argv,
			FILE *f);

/*
 * ip looks a plugin up by the symbol "<kind>_link_util"; our kinds contain
 * '-', which no C identifier can, so the object is named by a quoted
 * assembler label.  Plugins are built with hidden visibility so that the
 * copies of common.c in several loaded plugins cannot bind to each other;
 * only this object is exported.  ip chains the plugins it has loaded
 * through lu.next, so the object must not be const.  kind must be a
 * string literal: it is pasted into the label.
 */
#define XETH_IP_KIND(var, kind, max, ...)				\
	__attribute__((visibility("default")))				\
	struct xeth_ip_kind var __asm__("\"" kind "_link_util\"") = {	\
		.lu = {							\
			.id		= kind,				\
			.maxattr	= max,				\
			.parse_opt	= xeth_ip_parse_opt,		\
			.print_opt	= xeth_ip_print_opt,		\
			.print_help	= xeth_ip_print_help,		\
		},							\
		__VA_ARGS__						\
	}

#endif /* XETH_IPROUTE2_COMMON_H */
