// SPDX-License-Identifier: GPL-2.0
/*
 * Heaps from the device tree: the one place that reads heap nodes.
 *
 * Every child of the "linux,dma-heaps" node is turned into a plain
 * struct dma_heap_desc and declared to the registry, which creates the
 * heap when its type is there. What can be judged from the tree alone is
 * judged here, before anything is created: names, regions and their
 * overlaps, property sizes, caching, fallback targets and their caching,
 * cycles and chain depth. A
 * bad node disables that heap alone, with one log line naming the node,
 * the property and the reason; a heap whose fallback chain leads to a
 * disabled heap is disabled too, since its allocations could not follow
 * the chain the tree describes.
 *
 * Without a "linux,dma-heaps" node the kernel declares what newest
 * mainline (7.0) has: "system", "default_cma_region" and a CMA heap per
 * reusable region. With one, the tree's list is all there is: a vendor
 * who declares heaps names each one, and a region is offered once, under
 * the name its heap node gives it.
 *
 * Not for: what a heap type needs of its description (the type's create
 * op checks that), allocating.
 */

#include <linux/cma.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/init.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "heap-internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "dma_heap."

/*
 * All pools together keep at most this share of memory, in percent:
 * dma_heap.pool_limit_percent on the command line. Each pool is bounded
 * by its node (at most half of memory), but several can add up to more
 * than the system can spare for memory that only dma-bufs may use.
 */
static unsigned int pool_limit_percent = 25;
module_param(pool_limit_percent, uint, 0444);
MODULE_PARM_DESC(pool_limit_percent,
		 "Most memory all heap pools together keep, in percent of RAM (default: 25)");

/**
 * dma_heap_pool_limit - the most bytes all heap pools together may keep
 *
 * Return: dma_heap.pool_limit_percent of RAM (all of it above 100).
 */
u64 dma_heap_pool_limit(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	return div_u64(ram * min(pool_limit_percent, 100U), 100);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_pool_limit);

/**
 * struct heap_node - one child of the heaps node while it is parsed
 * @np:		the node
 * @desc:	what it declares
 * @fallback:	the node named by fallback-heap, or NULL
 * @bad:	disabled; the reason is logged already
 */
struct heap_node {
	struct device_node *np;
	struct dma_heap_desc desc;
	struct device_node *fallback;
	bool bad;
};

__printf(3, 4)
static void heap_node_bad(struct heap_node *hn, const char *prop,
			  const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dma_heap_desc_err(&hn->desc, prop, "%pV", &vaf);
	va_end(args);
	hn->bad = true;
}

/*
 * Read a size property of one cell. Absent is fine (0); any other length
 * is an error, because reading the first cell of a longer property would
 * quietly take the wrong number.
 */
static int heap_read_size(struct heap_node *hn, const char *prop, u32 *val)
{
	int len;

	*val = 0;
	if (!of_find_property(hn->np, prop, &len))
		return 0;
	if (len != sizeof(u32)) {
		heap_node_bad(hn, prop, "must be one 32-bit cell, not %d bytes",
			      len);
		return -EINVAL;
	}
	return of_property_read_u32(hn->np, prop, val);
}

static void heap_parse_region(struct heap_node *hn)
{
	struct dma_heap_desc *desc = &hn->desc;
	struct device_node *rnp;
	struct reserved_mem *rmem;

	if (!of_property_present(hn->np, "memory-region"))
		return;

	rnp = of_parse_phandle(hn->np, "memory-region", 0);
	if (!rnp) {
		heap_node_bad(hn, "memory-region", "does not point at a node");
		return;
	}
	/* A heap is one region: a second one would be silently unused. */
	if (of_count_phandle_with_args(hn->np, "memory-region", NULL) != 1) {
		heap_node_bad(hn, "memory-region", "must name one region");
		goto out;
	}
	rmem = of_reserved_mem_lookup(rnp);
	if (!rmem) {
		heap_node_bad(hn, "memory-region",
			      "%pOF is not a reserved-memory region that was set up",
			      rnp);
		goto out;
	}
	if (!rmem->size || !PAGE_ALIGNED(rmem->base) ||
	    !PAGE_ALIGNED(rmem->size)) {
		heap_node_bad(hn, "memory-region",
			      "%pOF: size %pa at %pa is empty or not page aligned",
			      rnp, &rmem->size, &rmem->base);
		goto out;
	}

	desc->base = rmem->base;
	desc->size = rmem->size;
	desc->no_map = of_property_read_bool(rnp, "no-map");
	/* For reusable shared-dma-pool regions, priv is their CMA area. */
	if (of_property_read_bool(rnp, "reusable") &&
	    of_device_is_compatible(rnp, "shared-dma-pool")) {
		desc->cma = rmem->priv;
		if (!desc->cma)
			heap_node_bad(hn, "memory-region",
				      "%pOF: its CMA area was not set up", rnp);
	}
out:
	of_node_put(rnp);
}

static void heap_parse_sizes(struct heap_node *hn)
{
	struct dma_heap_desc *desc = &hn->desc;
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	if (heap_read_size(hn, "chunk-size", &desc->chunk_size) ||
	    heap_read_size(hn, "pool-size", &desc->pool_size) ||
	    heap_read_size(hn, "pool-prefill-size", &desc->pool_prefill))
		return;

	if (desc->pool_size > ram / 2)
		heap_node_bad(hn, "pool-size",
			      "%u bytes is more than half of memory", desc->pool_size);
	else if (desc->pool_prefill > desc->pool_size)
		heap_node_bad(hn, "pool-prefill-size",
			      "%u bytes is more than pool-size (%u)",
			      desc->pool_prefill, desc->pool_size);
	else if (!PAGE_ALIGNED(desc->pool_size) ||
		 !PAGE_ALIGNED(desc->pool_prefill))
		heap_node_bad(hn, desc->pool_size & ~PAGE_MASK ? "pool-size" :
			      "pool-prefill-size", "not a multiple of the page size");
}

/*
 * "dma-noncoherent": the devices the heap's buffers are for do not snoop
 * the CPU caches, so the CPU must not cache the buffers. A flag: a value
 * would suggest a setting this property does not have. A no-map region
 * has no cacheable mapping, so its heap is uncached with or without it.
 */
static void heap_parse_caching(struct heap_node *hn)
{
	int len;

	if (of_find_property(hn->np, "dma-noncoherent", &len) && len) {
		heap_node_bad(hn, "dma-noncoherent", "a flag takes no value");
		return;
	}
	hn->desc.uncached = of_property_read_bool(hn->np, "dma-noncoherent") ||
			    hn->desc.no_map;
}

/*
 * "protected-by": the memory is behind a firewall that the CPU's normal
 * world must not cross, and the string names the protector that keeps it
 * there. A protected heap is uncached: the CPU never maps its buffers.
 */
static void heap_parse_protection(struct heap_node *hn)
{
	const char *name;

	if (!of_property_present(hn->np, "protected-by"))
		return;
	if (of_property_read_string(hn->np, "protected-by", &name) || !*name) {
		heap_node_bad(hn, "protected-by", "names no protector");
		return;
	}
	hn->desc.protected_by = name;
	hn->desc.uncached = true;
}

static void heap_parse_node(struct heap_node *hn, struct device_node *container)
{
	struct dma_heap_desc *desc = &hn->desc;

	/*
	 * The full node name, so that a unit address is seen: a heap node
	 * has no "reg", and the address would only tell apart heaps that
	 * are otherwise the same name. The name itself follows the one rule
	 * of the core.
	 */
	desc->name = kbasename(hn->np->full_name);
	if (strchr(desc->name, '@')) {
		heap_node_bad(hn, NULL,
			      "a heap node has no reg, so no unit address");
		return;
	}
	if (!dma_heap_name_valid(desc->name)) {
		heap_node_bad(hn, NULL,
			      "node name is not a heap name (a-z or 0-9, then a-z, 0-9 and -_.,+; at most %d)",
			      DMA_HEAP_NAME_MAX - 1);
		return;
	}
	if (of_property_read_string(hn->np, "compatible", &desc->compatible)) {
		heap_node_bad(hn, "compatible", "missing");
		return;
	}

	heap_parse_region(hn);
	if (!hn->bad)
		heap_parse_sizes(hn);
	if (!hn->bad)
		heap_parse_caching(hn);
	if (!hn->bad)
		heap_parse_protection(hn);

	if (!of_property_present(hn->np, "fallback-heap"))
		return;
	hn->fallback = of_parse_phandle(hn->np, "fallback-heap", 0);
	if (!hn->fallback)
		heap_node_bad(hn, "fallback-heap", "does not point at a node");
	else if (of_count_phandle_with_args(hn->np, "fallback-heap", NULL) != 1)
		heap_node_bad(hn, "fallback-heap", "must name one heap");
	else if (hn->fallback->parent != container)
		heap_node_bad(hn, "fallback-heap", "%pOF is not a heap",
			      hn->fallback);
	else if (hn->fallback == hn->np)
		heap_node_bad(hn, "fallback-heap", "points at itself");
	else if (!of_device_is_available(hn->fallback))
		heap_node_bad(hn, "fallback-heap", "%pOF is disabled",
			      hn->fallback);
}

static struct heap_node *heap_node_of(struct heap_node *nodes, int n,
				      struct device_node *np)
{
	int i;

	for (i = 0; i < n; i++)
		if (nodes[i].np == np)
			return &nodes[i];
	return NULL;
}

/* Names and regions must be unique among the heaps of one tree. */
static void heap_check_unique(struct heap_node *nodes, int n)
{
	struct dma_heap_desc *a, *b;
	int i, j;

	for (i = 0; i < n; i++) {
		a = &nodes[i].desc;
		for (j = 0; j < i && !nodes[i].bad; j++) {
			b = &nodes[j].desc;
			if (nodes[j].bad)
				continue;
			if (!strcmp(a->name, b->name))
				heap_node_bad(&nodes[i], NULL,
					      "heap name %s is used by %s already",
					      a->name, b->origin);
			else if (a->size && b->size && a->base < b->base + b->size &&
				 b->base < a->base + a->size)
				heap_node_bad(&nodes[i], "memory-region",
					      "overlaps the region of %s",
					      b->origin);
		}
	}
}

static const char *heap_kind(const struct dma_heap_desc *desc)
{
	if (desc->protected_by)
		return desc->protected_by;
	return desc->uncached ? "uncached" : "cached";
}

/*
 * Cached heaps fall back to cached ones only, uncached to uncached, and
 * protected heaps to heaps of the same protector only.
 */
static int heap_check_kind(struct heap_node *hn, struct heap_node *next)
{
	const struct dma_heap_desc *a = &hn->desc;
	const struct dma_heap_desc *b = next ? &next->desc : NULL;

	if (!next || next->bad ||
	    (a->uncached == b->uncached && !a->protected_by == !b->protected_by &&
	     (!a->protected_by || !strcmp(a->protected_by, b->protected_by))))
		return 0;
	heap_node_bad(hn, "fallback-heap", "%s is %s%s and %s is %s%s",
		      a->name, a->protected_by ? "protected by " : "",
		      heap_kind(a), next->desc.name,
		      next->desc.protected_by ? "protected by " : "",
		      heap_kind(&next->desc));
	return -EINVAL;
}

/*
 * Follow one node's fallback chain. A chain that comes back to a node
 * already on it is a cycle: every node of the cycle is disabled, and the
 * message names them in order. A chain longer than DMA_HEAP_MAX_CHAIN or
 * leading to a disabled heap disables the node it starts from.
 */
static void heap_check_chain(struct heap_node *nodes, int n, int start)
{
	struct heap_node *chain[DMA_HEAP_MAX_CHAIN + 1];
	struct heap_node *hn = &nodes[start];
	char names[256] = "";
	int len = 0, i, k;

	if (heap_check_kind(hn, heap_node_of(nodes, n, hn->fallback)))
		return;

	while (hn && len < ARRAY_SIZE(chain)) {
		for (i = 0; i < len; i++)
			if (chain[i] == hn)
				goto cycle;
		chain[len++] = hn;
		if (hn->bad && hn != &nodes[start]) {
			heap_node_bad(&nodes[start], "fallback-heap",
				      "heap %s on its chain is disabled",
				      hn->desc.name);
			return;
		}
		hn = hn->fallback ? heap_node_of(nodes, n, hn->fallback) : NULL;
	}
	if (len > DMA_HEAP_MAX_CHAIN)
		heap_node_bad(&nodes[start], "fallback-heap",
			      "chain longer than %d heaps", DMA_HEAP_MAX_CHAIN);
	return;

cycle:
	for (k = i; k < len; k++)
		scnprintf(names + strlen(names), sizeof(names) - strlen(names),
			  "%s -> ", chain[k]->desc.name);
	scnprintf(names + strlen(names), sizeof(names) - strlen(names), "%s",
		  hn->desc.name);
	for (k = i; k < len; k++)
		if (!chain[k]->bad)
			heap_node_bad(chain[k], "fallback-heap", "cycle %s",
				      names);
}

static int heap_count_bad(const struct heap_node *nodes, int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += nodes[i].bad;
	return bad;
}

static void heap_check_chains(struct heap_node *nodes, int n)
{
	int i, bad;

	/*
	 * Checking one chain can disable nodes of another (a cycle found
	 * on the way), so repeat until no node changes.
	 */
	do {
		bad = heap_count_bad(nodes, n);
		for (i = 0; i < n; i++)
			if (!nodes[i].bad && nodes[i].fallback)
				heap_check_chain(nodes, n, i);
	} while (heap_count_bad(nodes, n) != bad);
}

static void heap_nodes_free(struct heap_node *nodes, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		of_node_put(nodes[i].fallback);
		of_node_put(nodes[i].np);
		kfree(nodes[i].desc.origin);
	}
	kfree(nodes);
}

/*
 * A node's pool counts against the limit unless it is refused already,
 * or protected (the registry refuses a protected heap with a pool). The
 * pool-size of a type that keeps no pool still counts: the parser does
 * not know the types, which may be modules loaded later.
 */
static bool heap_pool_counts(const struct heap_node *hn)
{
	return !hn->bad && hn->desc.pool_size && !hn->desc.protected_by;
}

/*
 * Past dma_heap_pool_limit() all pools are scaled down by one ratio, so
 * that the tree's proportions stand, prefills with them; one line names
 * every heap it touched. A tree may have more than one heaps node (an
 * SoC's and a board's): @pooled is what the nodes before this one kept,
 * and this one gets what they left of the limit. Adds this node's pools.
 */
static void heap_limit_pools(struct heap_node *nodes, int n, u64 *pooled)
{
	u64 limit = dma_heap_pool_limit(), total = 0, left;
	char names[256] = "";
	int i;

	left = limit - min(*pooled, limit);

	for (i = 0; i < n; i++) {
		if (!heap_pool_counts(&nodes[i]))
			continue;
		total += nodes[i].desc.pool_size;
		scnprintf(names + strlen(names), sizeof(names) - strlen(names),
			  "%s%s", *names ? ", " : "", nodes[i].desc.name);
	}
	if (total <= left) {
		*pooled += total;
		return;
	}

	for (i = 0; i < n; i++) {
		struct dma_heap_desc *desc = &nodes[i].desc;

		if (!heap_pool_counts(&nodes[i]))
			continue;
		desc->pool_size = mul_u64_u64_div_u64(desc->pool_size, left,
						      total) & PAGE_MASK;
		desc->pool_prefill = min(desc->pool_prefill, desc->pool_size);
		*pooled += desc->pool_size;
	}
	if (left == limit)
		pr_warn("dma-heaps: pool-size: the pools of %s add up to %llu bytes, more than dma_heap.pool_limit_percent=%u%% of memory (%llu bytes); each is scaled to %llu%% of its size\n",
			names, total, pool_limit_percent, limit,
			div64_u64(left * 100, total));
	else
		pr_warn("dma-heaps: pool-size: the pools of %s add up to %llu bytes, more than the %llu bytes that other heaps nodes left of dma_heap.pool_limit_percent=%u%% of memory (%llu bytes); each is scaled to %llu%% of its size\n",
			names, total, left, pool_limit_percent, limit,
			div64_u64(left * 100, total));
}

/*
 * Declare the heaps under @container; @pooled: the pool bytes that the
 * heaps nodes declared before it keep, which this one adds to.
 */
static int heaps_of_declare(struct device_node *container, u64 *pooled)
{
	int count = of_get_available_child_count(container);
	int n = 0, i, declared = 0;
	struct heap_node *nodes;
	struct device_node *np;

	nodes = kcalloc(count, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;

	for_each_available_child_of_node(container, np) {
		struct heap_node *hn;

		/* Not one more than counted: an overlay may add nodes. */
		if (n == count) {
			of_node_put(np);
			break;
		}
		hn = &nodes[n++];

		hn->np = of_node_get(np);
		hn->desc.node = of_fwnode_handle(np);
		hn->desc.origin = kasprintf(GFP_KERNEL, "%pOF", np);
		heap_parse_node(hn, container);
	}
	heap_check_unique(nodes, n);
	heap_check_chains(nodes, n);
	heap_limit_pools(nodes, n, pooled);

	for (i = 0; i < n; i++) {
		struct heap_node *hn = &nodes[i];

		if (hn->bad)
			continue;
		hn->desc.fallback = hn->fallback ?
				    kbasename(hn->fallback->full_name) : NULL;
		if (!dma_heap_declare(&hn->desc))
			declared++;
	}
	heap_nodes_free(nodes, n);
	return declared;
}

/**
 * dma_heaps_of_declare - declare the heaps described under a heaps node
 * @container: a node compatible with "linux,dma-heaps"
 *
 * Its pools get the whole of dma_heap_pool_limit().
 *
 * Return: the number of heaps declared; disabled nodes are logged and
 * not counted.
 */
int dma_heaps_of_declare(struct device_node *container)
{
	u64 pooled = 0;

	return heaps_of_declare(container, &pooled);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heaps_of_declare);

/* The name of the default CMA area's heap in mainline since 6.17. */
#define DEFAULT_CMA_HEAP_NAME	"default_cma_region"

static void __init declare_cma_heap(const char *name, struct cma *cma,
				    const char *origin)
{
	struct dma_heap_desc desc = {
		.name = name,
		.compatible = "linux,dma-heap-cma",
		.origin = origin,
		.base = cma_get_base(cma),
		.size = cma_get_size(cma),
		.cma = cma,
	};

	/* The core would refuse it too, but could not say which region. */
	if (!dma_heap_name_valid(name)) {
		pr_err("dma-heaps: %s: %s is not a heap name (a-z or 0-9, then a-z, 0-9 and -_.,@+; at most %d); no heap for it\n",
		       origin, name, DMA_HEAP_NAME_MAX - 1);
		return;
	}
	dma_heap_declare(&desc);
}

/*
 * One CMA heap per reusable shared-dma-pool region, named after its node
 * (unit address included), as mainline does since 6.19. The default area,
 * when a region is it, keeps that name only with the legacy option: its
 * heap is "default_cma_region" either way. Returns whether a region was
 * the default area.
 */
static bool __init declare_region_cma_heaps(struct cma *default_cma)
{
	struct device_node *parent, *np;
	bool default_seen = false;
	char origin[128];

	parent = of_find_node_by_path("/reserved-memory");
	for_each_available_child_of_node(parent, np) {
		struct reserved_mem *rmem;
		struct cma *cma;

		if (!of_device_is_compatible(np, "shared-dma-pool") ||
		    !of_property_read_bool(np, "reusable"))
			continue;
		/* A region CMA refused (e.g. no-map) is no area: no heap. */
		rmem = of_reserved_mem_lookup(np);
		cma = rmem ? rmem->priv : NULL;
		if (!cma)
			continue;
		/* Named "default_cma_region", it is that heap already. */
		if (cma == default_cma) {
			default_seen = true;
			if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA_LEGACY) ||
			    !strcmp(cma_get_name(cma), DEFAULT_CMA_HEAP_NAME))
				continue;
		}
		snprintf(origin, sizeof(origin), "%pOF", np);
		declare_cma_heap(cma_get_name(cma), cma, origin);
	}
	of_node_put(parent);
	return default_seen;
}

/*
 * What mainline offers when the device tree declares no heaps, as of 7.0
 * (the CMA heaps' names come from 6.17 and 6.19): "system", the default
 * CMA area as "default_cma_region", and a CMA heap per reusable region.
 * With CONFIG_DMABUF_HEAPS_CMA_LEGACY, the default area is also offered
 * under the name it had before 6.17: its region's node name (as one of
 * the regions' heaps), or "reserved" when it came from the command line
 * or the kernel's configuration.
 */
static void __init dma_heaps_declare_defaults(void)
{
	struct dma_heap_desc system = {
		.name = "system",
		.compatible = "linux,dma-heap-system",
		.origin = "default system heap",
	};
	struct cma *cma = dev_get_cma_area(NULL);
	bool default_is_region;

	dma_heap_declare(&system);
	if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA))
		return;
	if (cma)
		declare_cma_heap(DEFAULT_CMA_HEAP_NAME, cma, "default CMA area");
	default_is_region = declare_region_cma_heaps(cma);
	if (cma && !default_is_region &&
	    IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA_LEGACY))
		declare_cma_heap(cma_get_name(cma), cma,
				 "default CMA area, legacy name");
}

/*
 * After the reserved-memory regions and CMA areas exist (core_initcall)
 * and the heap core (subsys_initcall), before the built-in heap types
 * register (device_initcall), so that types find their heaps declared.
 */
static int __init dma_heaps_of_init(void)
{
	struct device_node *container;
	int count = 0, found = 0;
	u64 pooled = 0;

	for_each_compatible_node(container, NULL, "linux,dma-heaps") {
		if (!of_device_is_available(container))
			continue;
		found++;
		count += max(heaps_of_declare(container, &pooled), 0);
	}

	if (!found)
		dma_heaps_declare_defaults();
	else
		pr_info("dma-heaps: %d heap(s) declared by the device tree\n",
			count);
	return 0;
}
fs_initcall(dma_heaps_of_init);
