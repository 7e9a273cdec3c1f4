/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `ip` offers a link plugin: the plugin ABI and the helpers that
 * Debian's ip exports to plugins (nm -D /usr/sbin/ip).
 *
 * iproute2 installs no development headers, so the declarations are
 * restated here.  They were checked against the source of iproute2 6.1.0
 * (Debian bookworm 6.1.0-3): struct link_util in ip/ip_common.h, the
 * attribute helpers in include/libnetlink.h, get_u32() in
 * include/utils.h, the printers in include/json_print.h and
 * include/color.h.  ip finds a plugin's struct by symbol name and calls
 * through it without any version check, so a mismatch here is silent
 * memory corruption: re-check this file against any other iproute2.
 */
#ifndef XETH_IPROUTE2_LINK_UTIL_H
#define XETH_IPROUTE2_LINK_UTIL_H

#include <stdio.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/types.h>

/* iproute2 6.1.0, ip/ip_common.h (parameter names added) */
struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *lu, int argc,
					     char **argv, struct nlmsghdr *n);
	void			(*print_opt)(struct link_util *lu, FILE *f,
					     struct rtattr *tb[]);
	void			(*print_xstats)(struct link_util *lu, FILE *f,
						struct rtattr *xstats);
	void			(*print_help)(struct link_util *lu, int argc,
					      char **argv, FILE *f);
	int			(*parse_ifla_xstats)(struct link_util *lu,
						     int argc, char **argv);
	int			(*print_ifla_xstats)(struct nlmsghdr *n,
						     void *arg);
};

/*
 * The request buffer behind the nlmsghdr that parse_opt gets is
 * struct iplink_req { nlmsghdr; ifinfomsg; char buf[1024]; }; like ip's own
 * link types we bound attribute additions by the 1024 bytes of buf.
 */
#define XETH_IP_REQ_MAX	1024

/* iproute2 6.1.0, include/libnetlink.h */
int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data);
int addattr16(struct nlmsghdr *n, int maxlen, int type, __u16 data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data);

/* iproute2 6.1.0, include/utils.h: 0 on success, -1 on a bad or big value */
int get_u32(__u32 *val, const char *arg, int base);

/* iproute2 6.1.0, include/json_print.h */
enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = 4,
};

/* iproute2 6.1.0, include/color.h */
enum color_attr {
	COLOR_IFNAME,
	COLOR_MAC,
	COLOR_INET,
	COLOR_INET6,
	COLOR_OPERSTATE_UP,
	COLOR_OPERSTATE_DOWN,
	COLOR_NONE
};

/*
 * print_string() and print_uint() are static inline wrappers in
 * json_print.h, so only these out-of-line versions are exported.
 */
int print_color_string(enum output_type t, enum color_attr color,
		       const char *key, const char *fmt, const char *value);
int print_color_uint(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, unsigned int value);

#endif /* XETH_IPROUTE2_LINK_UTIL_H */
