// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing, printing and help shared by the xeth link plugins.
 *
 * Errors are reported and returned, never exit()ed as ip's invarg() would,
 * so that ip itself ends the command with a non-zero status.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct xeth_ip_kind *to_kind(const struct link_util *lu)
{
	return (const void *)((const char *)lu -
			      offsetof(struct xeth_ip_kind, lu));
}

static void usage(const struct xeth_ip_kind *k, FILE *f)
{
	fprintf(f, "Usage: ip link add ... type %s%s%s\n", k->lu.id,
		k->args ? " " : "", k->args ? k->args : "");
	if (k->details)
		fprintf(f, "\n%s", k->details);
}

static void print_expected(FILE *f, const struct xeth_ip_opt *opt)
{
	const char *sep = "";
	int i;

	if (!opt->names) {
		fprintf(f, "%u..%u", opt->min, opt->max);
		return;
	}
	for (i = 0; i < opt->n_names; i++) {
		if (!opt->names[i])
			continue;
		fprintf(f, "%s%s", sep, opt->names[i]);
		sep = "|";
	}
}

static int bad_arg(const struct xeth_ip_kind *k, const char *arg)
{
	if (k->opt)
		fprintf(stderr,
			"Error: %s: unknown argument \"%s\", expected %s or help\n",
			k->lu.id, arg, k->opt->key);
	else
		fprintf(stderr,
			"Error: %s: unknown argument \"%s\", %s has no options (only help)\n",
			k->lu.id, arg, k->lu.id);
	return -1;
}

static int no_value(const struct xeth_ip_kind *k)
{
	fprintf(stderr, "Error: %s: %s needs a value, expected ", k->lu.id,
		k->opt->key);
	print_expected(stderr, k->opt);
	fputc('\n', stderr);
	return -1;
}

static int parse_value(const struct xeth_ip_kind *k, const char *arg,
		       __u32 *val)
{
	const struct xeth_ip_opt *opt = k->opt;
	int i;

	/* numbers in base 0 as everywhere in ip: 0x.. is hex, 0.. octal */
	if (opt->names) {
		for (i = 0; i < opt->n_names; i++) {
			if (opt->names[i] && !strcmp(arg, opt->names[i])) {
				*val = i;
				return 0;
			}
		}
	} else if (!get_u32(val, arg, 0) &&
		   *val >= opt->min && *val <= opt->max) {
		return 0;
	}
	fprintf(stderr, "Error: %s: invalid %s \"%s\", expected ", k->lu.id,
		opt->key, arg);
	print_expected(stderr, opt);
	fputc('\n', stderr);
	return -1;
}

static int add_attr(struct nlmsghdr *n, const struct xeth_ip_opt *opt,
		    __u32 val)
{
	switch (opt->size) {
	case 1:
		return addattr8(n, XETH_IP_REQ_MAX, opt->attr, val);
	case 2:
		return addattr16(n, XETH_IP_REQ_MAX, opt->attr, val);
	case 4:
		return addattr32(n, XETH_IP_REQ_MAX, opt->attr, val);
	}
	return -1;
}

/*
 * Keywords are compared whole, not by prefix as ip's matches() does: a
 * prefix that is unique today becomes ambiguous when an option is added.
 */
int xeth_ip_parse_opt(struct link_util *lu, int argc, char **argv,
		      struct nlmsghdr *n)
{
	const struct xeth_ip_kind *k = to_kind(lu);
	bool seen = false;
	__u32 val;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(*argv, "help")) {
			/* as ip's own kinds do: help creates nothing */
			usage(k, stderr);
			return -1;
		}
		if (!k->opt || strcmp(*argv, k->opt->key))
			return bad_arg(k, *argv);
		if (seen) {
			fprintf(stderr, "Error: %s: %s given twice\n",
				lu->id, k->opt->key);
			return -1;
		}
		if (argc < 2)
			return no_value(k);
		argc--;
		argv++;
		if (parse_value(k, *argv, &val))
			return -1;
		if (add_attr(n, k->opt, val)) {
			fprintf(stderr, "Error: %s: no room for %s\n",
				lu->id, k->opt->key);
			return -1;
		}
		seen = true;
	}
	return 0;
}

void xeth_ip_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	const struct xeth_ip_opt *opt = to_kind(lu)->opt;
	struct rtattr *rta;
	__u32 val;

	/* ip's printers write to stdout (or its JSON writer), never to f */
	(void)f;
	/* tb is NULL when the kernel sent no IFLA_INFO_DATA */
	if (!opt || !tb)
		return;
	rta = tb[opt->attr];
	/* ip checks no attribute length, so a short one is ours to skip */
	if (!rta || RTA_PAYLOAD(rta) < opt->size)
		return;
	switch (opt->size) {
	case 1:
		val = *(__u8 *)RTA_DATA(rta);
		break;
	case 2:
		val = *(__u16 *)RTA_DATA(rta);
		break;
	default:
		val = *(__u32 *)RTA_DATA(rta);
		break;
	}
	print_color_string(PRINT_FP, COLOR_NONE, NULL, "%s ", opt->key);
	/* a value without a name here (a newer kernel's) shows as a number */
	if (opt->names && val < (__u32)opt->n_names && opt->names[val])
		print_color_string(PRINT_ANY, COLOR_NONE, opt->key, "%s ",
				   opt->names[val]);
	else
		print_color_uint(PRINT_ANY, COLOR_NONE, opt->key, "%u ", val);
}

void xeth_ip_print_help(struct link_util *lu, int argc, char **argv, FILE *f)
{
	/* "ip link help KIND ..." passes what follows KIND; nothing does */
	(void)argc;
	(void)argv;
	usage(to_kind(lu), f);
}
