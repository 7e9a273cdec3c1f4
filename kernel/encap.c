// SPDX-License-Identifier: GPL-2.0
/*
 * Encapsulation of proxy frames: the xid in VLAN tags or an MPLS label
 * stack, as include/uapi/linux/xeth.h defines them.
 */
#include <linux/if_vlan.h>
#include <net/mpls.h>
#include <linux/etherdevice.h>
#include "xeth.h"

#define XETH_MPLS_LABEL_SHIFT	12
#define XETH_MPLS_TC_SHIFT	9
#define XETH_MPLS_S_BIT		BIT(8)

static __be32 xeth_mpls_word(u32 label, bool bottom)
{
	return cpu_to_be32(label << XETH_MPLS_LABEL_SHIFT |
			   (bottom ? XETH_MPLS_S_BIT : 0) | XETH_VPLS_TTL);
}

unsigned int xeth_encap_overhead(u8 encap, u8 kind)
{
	unsigned int tags = kind == XETH_DEV_KIND_VLAN ? 2 : 1;

	if (encap == XETH_ENCAP_VPLS)
		return ETH_HLEN + tags * MPLS_HLEN;
	return tags * VLAN_HLEN;
}

static struct sk_buff *xeth_push_vlan(struct sk_buff *skb,
				      const struct xeth_proxy *p)
{
	if (p->kind == XETH_DEV_KIND_VLAN) {
		skb = vlan_insert_tag_set_proto(skb, htons(ETH_P_8021Q),
						p->xid >> XETH_VLAN_VID_SHIFT);
		if (!skb)
			return NULL;
		return vlan_insert_tag_set_proto(skb, htons(ETH_P_8021AD),
						 p->xid & XETH_VLAN_XID_MASK);
	}
	return vlan_insert_tag_set_proto(skb, htons(ETH_P_8021Q),
					 p->xid & XETH_VLAN_XID_MASK);
}

static struct sk_buff *xeth_push_vpls(struct sk_buff *skb,
				      const struct xeth_proxy *p)
{
	bool two = p->kind == XETH_DEV_KIND_VLAN;
	unsigned int hlen = xeth_encap_overhead(XETH_ENCAP_VPLS, p->kind);
	const struct ethhdr *inner;
	struct ethhdr *outer;
	__be32 *label;

	if (skb_cow_head(skb, hlen)) {
		kfree_skb(skb);
		return NULL;
	}
	outer = skb_push(skb, hlen);
	/* The outer addresses repeat the inner ones, so that a switch that
	 * learns or filters on the outer header sees the real stations.
	 */
	inner = (const struct ethhdr *)(skb->data + hlen);
	ether_addr_copy(outer->h_dest, inner->h_dest);
	ether_addr_copy(outer->h_source, inner->h_source);
	outer->h_proto = htons(ETH_P_MPLS_UC);
	label = (__be32 *)(outer + 1);
	label[0] = xeth_mpls_word(p->xid & XETH_VPLS_XID_MASK, !two);
	if (two)
		label[1] = xeth_mpls_word(p->xid >> XETH_VPLS_VID_SHIFT, true);
	skb->protocol = outer->h_proto;
	skb_reset_mac_header(skb);
	skb->mac_len = ETH_HLEN;
	return skb;
}

/* Returns the encapsulated frame, or NULL when it was dropped (freed). */
struct sk_buff *xeth_encap_push(struct sk_buff *skb, u8 encap,
				const struct xeth_proxy *p)
{
	/* A tag that a stacked 802.1Q device left in the skb's metadata
	 * belongs inside ours.
	 */
	if (skb_vlan_tag_present(skb)) {
		skb = __vlan_hwaccel_push_inside(skb);
		if (!skb)
			return NULL;
	}
	if (encap == XETH_ENCAP_VPLS)
		return xeth_push_vpls(skb, p);
	return xeth_push_vlan(skb, p);
}

static int xeth_parse_vlan(const u8 *h, unsigned int len,
			   struct xeth_demux *d)
{
	__be16 outer = *(const __be16 *)(h + 2 * ETH_ALEN);
	u16 tci, inner_tci;

	if (len < ETH_HLEN + VLAN_HLEN)
		return -EINVAL;
	if (outer != htons(ETH_P_8021Q) && outer != htons(ETH_P_8021AD))
		return -EINVAL;
	tci = get_unaligned_be16(h + ETH_HLEN);
	d->xid = tci & VLAN_VID_MASK;
	d->priority = tci >> VLAN_PRIO_SHIFT;
	d->hlen = VLAN_HLEN;
	if (outer == htons(ETH_P_8021AD) && len >= ETH_HLEN + 2 * VLAN_HLEN &&
	    *(const __be16 *)(h + ETH_HLEN + 2) == htons(ETH_P_8021Q)) {
		inner_tci = get_unaligned_be16(h + ETH_HLEN + VLAN_HLEN);
		d->xid |= (inner_tci & VLAN_VID_MASK) << XETH_VLAN_VID_SHIFT;
		d->hlen = 2 * VLAN_HLEN;
	}
	return 0;
}

static int xeth_parse_vpls(const u8 *h, unsigned int len,
			   struct xeth_demux *d)
{
	u32 first, second;

	if (len < ETH_HLEN + MPLS_HLEN + ETH_HLEN)
		return -EINVAL;
	if (*(const __be16 *)(h + 2 * ETH_ALEN) != htons(ETH_P_MPLS_UC))
		return -EINVAL;
	first = get_unaligned_be32(h + ETH_HLEN);
	d->xid = first >> XETH_MPLS_LABEL_SHIFT;
	d->priority = (first >> XETH_MPLS_TC_SHIFT) & 7;
	d->hlen = ETH_HLEN + MPLS_HLEN;
	if (first & XETH_MPLS_S_BIT)
		return 0;
	if (len < ETH_HLEN + 2 * MPLS_HLEN + ETH_HLEN)
		return -EINVAL;
	second = get_unaligned_be32(h + ETH_HLEN + MPLS_HLEN);
	/* Two labels at most: an xid and a VLAN id. */
	if (!(second & XETH_MPLS_S_BIT))
		return -EINVAL;
	d->xid |= (second >> XETH_MPLS_LABEL_SHIFT) << XETH_VPLS_VID_SHIFT;
	d->hlen += MPLS_HLEN;
	return 0;
}

/*
 * Reads the xid, priority and exception mark of a frame whose data starts
 * at its Ethernet header; the frame is not changed.
 */
int xeth_encap_parse(struct sk_buff *skb, u8 encap, struct xeth_demux *d)
{
	u8 buf[ETH_HLEN + 2 * MPLS_HLEN + ETH_HLEN];
	unsigned int len = min_t(unsigned int, skb->len, sizeof(buf));
	const u8 *h = skb_header_pointer(skb, 0, len, buf);
	int err;

	if (!h)
		return -EINVAL;
	if (encap == XETH_ENCAP_VPLS)
		err = xeth_parse_vpls(h, len, d);
	else
		err = xeth_parse_vlan(h, len, d);
	if (err)
		return err;
	d->exception = d->priority == XETH_EXCEPTION_PRIORITY;
	return 0;
}

/* Removes what xeth_encap_parse() found; data stays at the MAC header. */
int xeth_encap_strip(struct sk_buff *skb, u8 encap, const struct xeth_demux *d)
{
	if (encap == XETH_ENCAP_VPLS) {
		if (!pskb_may_pull(skb, d->hlen + ETH_HLEN))
			return -EINVAL;
		__skb_pull(skb, d->hlen);
	} else {
		if (skb_ensure_writable(skb, 2 * ETH_ALEN + d->hlen))
			return -ENOMEM;
		memmove(skb->data + d->hlen, skb->data, 2 * ETH_ALEN);
		__skb_pull(skb, d->hlen);
	}
	skb_reset_mac_header(skb);
	return 0;
}
