// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for heaps declared in the device tree: parsing through DT
 * overlays, the type registry, each heap type's allocate and free, and
 * fallback chains.
 *
 * Carveouts are built over memory the test allocates itself, chunk and
 * CMA heaps over the default CMA area, so no test depends on the
 * reserved-memory layout of the machine it runs on.
 */

#include <kunit/device.h>
#include <kunit/of.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/cma.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/iosys-map.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "../heap-internal.h"
#include "clean-log.h"

/*
 * The test's own heap types, under the "test," prefix that
 * vendor-prefixes.yaml reserves for tests; heaps-*.dtso use them too.
 */
#define TEST_COMPATIBLE		"test,dma-heap-test"
#define TEST_COMPATIBLE_LATE	"test,dma-heap-late"
#define TEST_COMPATIBLE_NOBODY	"test,dma-heap-nobody"
#define TEST_COMPATIBLE_PAGED	"test,dma-heap-paged"
#define TEST_COMPATIBLE_POOLED	"test,dma-heap-pooled"
#define TEST_COMPATIBLE_CACHED	"test,dma-heap-cached"

/* A heap type that only exists: the parsing tests look at what exists. */
static void *test_type_create(const struct dma_heap_desc *desc)
{
	return (void *)desc->compatible;
}

static struct dma_buf *test_type_allocate(struct dma_heap *heap,
					  struct dma_heap_instance *inst,
					  unsigned long len, u32 fd_flags)
{
	return ERR_PTR(-ENOMEM);
}

static struct dma_heap_type test_type = {
	.name = "kunit",
	.compatible = TEST_COMPATIBLE,
	.owner = THIS_MODULE,
	.create = test_type_create,
	.allocate = test_type_allocate,
	.caching = DMA_HEAP_CACHED_OR_UNCACHED,
};

/* A type that makes cached buffers only, though it can be protected. */
static struct dma_heap_type cached_type = {
	.name = "kunit-cached",
	.compatible = TEST_COMPATIBLE_CACHED,
	.owner = THIS_MODULE,
	.create = test_type_create,
	.allocate = test_type_allocate,
	.protectable = true,
};

static struct dma_heap_type late_type = {
	.name = "kunit-late",
	.compatible = TEST_COMPATIBLE_LATE,
	.owner = THIS_MODULE,
	.create = test_type_create,
	.allocate = test_type_allocate,
};

static bool heap_exists(const char *name)
{
	struct dma_heap *heap = dma_heap_find(name);

	if (heap)
		dma_heap_put(heap);
	return heap;
}

static struct device_node *find_container(struct kunit *test, const char *path)
{
	struct device_node *np = of_find_node_by_path(path);

	KUNIT_ASSERT_NOT_NULL(test, np);
	of_node_put_kunit(test, np);
	return np;
}

static const char * const valid_names[] = {
	"kunit-a", "kunit-b", "kunit-c", "kunit-late",
};

static void undeclare_all(const char * const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dma_heap_undeclare(names[i]);
}

static void of_valid_nodes_become_heaps(struct kunit *test)
{
	struct device_node *np;

	KUNIT_ASSERT_EQ(test, of_overlay_apply_kunit(test, heaps_valid), 0);
	np = find_container(test, "/kunit-heaps-valid");

	KUNIT_EXPECT_EQ(test, dma_heaps_of_declare(np), 4);
	KUNIT_EXPECT_TRUE(test, heap_exists("kunit-a"));
	KUNIT_EXPECT_TRUE(test, heap_exists("kunit-b"));
	KUNIT_EXPECT_TRUE(test, heap_exists("kunit-c"));
	/* Its type is not registered: declared, but no heap yet. */
	KUNIT_EXPECT_FALSE(test, heap_exists("kunit-late"));
	undeclare_all(valid_names, ARRAY_SIZE(valid_names));
	KUNIT_EXPECT_FALSE(test, heap_exists("kunit-a"));
}

static void of_type_registered_after_its_nodes(struct kunit *test)
{
	struct device_node *np;

	KUNIT_ASSERT_EQ(test, of_overlay_apply_kunit(test, heaps_valid), 0);
	np = find_container(test, "/kunit-heaps-valid");
	KUNIT_ASSERT_EQ(test, dma_heaps_of_declare(np), 4);
	KUNIT_EXPECT_FALSE(test, heap_exists("kunit-late"));

	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&late_type), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists("kunit-late"));
	/* A second type for the same compatible is refused. */
	KUNIT_EXPECT_EQ(test, dma_heap_type_register(&late_type), -EEXIST);

	dma_heap_type_unregister(&late_type);
	KUNIT_EXPECT_FALSE(test, heap_exists("kunit-late"));
	/* The declaration stays: the heap comes back with its type. */
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&late_type), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists("kunit-late"));
	dma_heap_type_unregister(&late_type);
	undeclare_all(valid_names, ARRAY_SIZE(valid_names));
}

struct node_case {
	const char *name;
	bool up;
};

static const struct node_case invalid_cases[] = {
	{ "kunit-good", true },
	{ "kunit-no-compatible", false },
	{ "kunit-pool-string", false },
	{ "kunit-pool-two-cells", false },
	{ "kunit-prefill-over-pool", false },
	{ "kunit-pool-over-memory", false },
	{ "kunit-not-region", false },
	{ "kunit-fallback-outside", false },
	{ "kunit-self", false },
	{ "kunit-x2", false },
	{ "kunit-y2", false },
	{ "kunit-p3", false },
	{ "kunit-q3", false },
	{ "kunit-r3", false },
	{ "kunit-into-cycle", false },
	{ "kunit-d1", false },
	{ "kunit-d2", true },
	{ "kunit-d3", true },
	{ "kunit-d4", true },
	{ "kunit-d5", true },
	{ "kunit-dup", false },
	{ "Kunit-Upper", false },
	{ "kunit-unc", true },
	{ "kunit-unc-value", false },
	{ "kunit-cached-to-unc", false },
};

static void node_case_desc(const struct node_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %s", c->name,
		 c->up ? "comes up" : "is disabled");
}

KUNIT_ARRAY_PARAM(node, invalid_cases, node_case_desc);

static void of_bad_nodes_disable_only_themselves(struct kunit *test)
{
	const struct node_case *c = test->param_value;
	struct device_node *np;
	size_t i, up = 0;

	KUNIT_ASSERT_EQ(test, of_overlay_apply_kunit(test, heaps_invalid), 0);
	np = find_container(test, "/kunit-heaps-invalid");

	for (i = 0; i < ARRAY_SIZE(invalid_cases); i++)
		up += invalid_cases[i].up;
	KUNIT_EXPECT_EQ(test, dma_heaps_of_declare(np), up);
	KUNIT_EXPECT_EQ(test, heap_exists(c->name), c->up);

	for (i = 0; i < ARRAY_SIZE(invalid_cases); i++)
		dma_heap_undeclare(invalid_cases[i].name);
}

/* The pool sizes the heaps of heaps-pools.dtso were created with. */
static const char * const pooled_names[] = {
	"kunit-pool-1", "kunit-pool-2", "kunit-pool-3", "kunit-pool-none",
};

static const u32 pooled_asked[] = { SZ_128M + SZ_64M, SZ_128M + SZ_64M,
				    SZ_64M, 0 };
static const u32 pooled_prefill_asked[] = { SZ_128M + SZ_64M, SZ_1M, 0, 0 };
static u32 pooled_size[ARRAY_SIZE(pooled_names)];
static u32 pooled_prefill[ARRAY_SIZE(pooled_names)];

static void *pooled_type_create(const struct dma_heap_desc *desc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pooled_names); i++) {
		if (strcmp(desc->name, pooled_names[i]))
			continue;
		pooled_size[i] = desc->pool_size;
		pooled_prefill[i] = desc->pool_prefill;
	}
	return NULL;
}

static struct dma_heap_type pooled_type = {
	.name = "kunit-pooled",
	.compatible = TEST_COMPATIBLE_POOLED,
	.owner = THIS_MODULE,
	.create = pooled_type_create,
	.allocate = test_type_allocate,
};

/*
 * Pools that add up to more than dma_heap_pool_limit() are all scaled by
 * one ratio, to the limit at most; a prefill follows its pool; no heap is
 * disabled for it, and a heap without a pool keeps none.
 */
static void of_pools_are_scaled_to_the_limit(struct kunit *test)
{
	u64 limit = dma_heap_pool_limit(), asked = 0, got = 0;
	struct device_node *np;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pooled_asked); i++)
		asked += pooled_asked[i];
	if (asked <= limit)
		kunit_skip(test, "%llu bytes of pools fit the limit (%llu)",
			   asked, limit);

	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&pooled_type), 0);
	KUNIT_ASSERT_EQ(test, of_overlay_apply_kunit(test, heaps_pools), 0);
	np = find_container(test, "/kunit-heaps-pools");
	KUNIT_EXPECT_EQ(test, dma_heaps_of_declare(np),
			(int)ARRAY_SIZE(pooled_names));

	for (i = 0; i < ARRAY_SIZE(pooled_names); i++) {
		u64 share = div64_u64((u64)pooled_asked[i] * limit, asked);

		KUNIT_EXPECT_TRUE(test, heap_exists(pooled_names[i]));
		KUNIT_EXPECT_LE(test, pooled_size[i], share);
		KUNIT_EXPECT_GT(test, pooled_size[i] + PAGE_SIZE, share);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(pooled_size[i]));
		KUNIT_EXPECT_EQ(test, pooled_prefill[i],
				min(pooled_prefill_asked[i], pooled_size[i]));
		got += pooled_size[i];
	}
	KUNIT_EXPECT_LE(test, got, limit);
	KUNIT_EXPECT_EQ(test, pooled_size[3], 0);

	for (i = 0; i < ARRAY_SIZE(pooled_names); i++)
		dma_heap_undeclare(pooled_names[i]);
	dma_heap_type_unregister(&pooled_type);
}

static int of_suite_init(struct kunit_suite *suite)
{
	return dma_heap_type_register(&test_type);
}

static void of_suite_exit(struct kunit_suite *suite)
{
	dma_heap_type_unregister(&test_type);
}

static struct kunit_case dma_heap_of_cases[] = {
	KUNIT_CASE(of_valid_nodes_become_heaps),
	KUNIT_CASE(of_type_registered_after_its_nodes),
	KUNIT_CASE(of_pools_are_scaled_to_the_limit),
	KUNIT_CASE_PARAM(of_bad_nodes_disable_only_themselves,
			 node_gen_params),
	{}
};

static struct kunit_suite dma_heap_of_suite = {
	.name = "dma-heap-of",
	.suite_init = of_suite_init,
	.suite_exit = of_suite_exit,
	.test_cases = dma_heap_of_cases,
};

/* Helpers for the allocation tests. */

static void put_and_flush(struct dma_buf *dmabuf)
{
	dma_buf_put(dmabuf);
	flush_delayed_fput();
}

/* A contiguous block owned by the test, to build carveouts over. */
struct test_block {
	void *vaddr;
	size_t size;
};

static void test_block_free(void *data)
{
	struct test_block *block = data;

	free_pages_exact(block->vaddr, block->size);
}

static phys_addr_t test_region(struct kunit *test, size_t size)
{
	struct test_block *block = kunit_kzalloc(test, sizeof(*block),
						 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, block);
	block->size = size;
	block->vaddr = alloc_pages_exact(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block->vaddr);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_block_free,
							block), 0);
	return virt_to_phys(block->vaddr);
}

/*
 * Tear a test heap down when the test ends, before the memory under it
 * is freed (KUnit runs cleanups in reverse order): drop the test's
 * reference, then the declaration.
 */
static void test_heap_release(void *data)
{
	struct dma_heap *heap = data;
	char *name = kstrdup(dma_heap_get_name(heap), GFP_KERNEL);

	flush_delayed_fput();
	dma_heap_put(heap);
	if (name)
		dma_heap_undeclare(name);
	kfree(name);
}

static struct dma_heap *declare_heap(struct kunit *test,
				     const struct dma_heap_desc *desc)
{
	struct dma_heap *heap;

	KUNIT_ASSERT_EQ(test, dma_heap_declare(desc), 0);
	heap = dma_heap_find(desc->name);
	if (!heap)
		dma_heap_undeclare(desc->name);
	KUNIT_ASSERT_NOT_NULL(test, heap);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_heap_release,
							heap), 0);
	return heap;
}

/* The pool of @heap, which must have one. */
static struct dma_heap_pool *pool_of(struct kunit *test, struct dma_heap *heap)
{
	struct dma_heap_pool *pool = dma_heap_get_pool(heap);

	KUNIT_ASSERT_NOT_NULL(test, pool);
	return pool;
}

static struct dma_buf *alloc_from(struct dma_heap *heap, size_t len)
{
	return dma_heap_buffer_alloc(heap, len, O_RDWR, 0);
}

static void expect_zeroed(struct kunit *test, struct dma_buf *dmabuf)
{
	struct iosys_map map;

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(map.vaddr, 0, dmabuf->size));
	memset(map.vaddr, 0x5a, dmabuf->size);
	dma_buf_vunmap_unlocked(dmabuf, &map);
}

static phys_addr_t buffer_phys(struct dma_buf *dmabuf, unsigned int nth)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buffer->sgt, sg, i)
		if (i == nth)
			return sg_phys(sg);
	return 0;
}

/* A 2 MiB carveout heap over memory of the test's own, at *@base. */
static struct dma_heap *declare_carveout(struct kunit *test, const char *name,
					 phys_addr_t *base)
{
	struct dma_heap_desc desc = {
		.name = name,
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_2M,
	};

	desc.base = test_region(test, desc.size);
	*base = desc.base;
	return declare_heap(test, &desc);
}

/* Fill a carveout of declare_carveout() with four 512 KiB buffers. */
static void fill_carveout(struct kunit *test, struct dma_heap *heap,
			  struct dma_buf *bufs[4])
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		bufs[i] = alloc_from(heap, SZ_512K);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bufs[i]);
	}
}

static void carveout_allocates_until_full(struct kunit *test)
{
	struct dma_buf *bufs[4];
	struct dma_heap *heap;
	phys_addr_t base;
	unsigned int i;

	heap = declare_carveout(test, "kunit-carveout", &base);
	fill_carveout(test, heap, bufs);
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		KUNIT_EXPECT_EQ(test, bufs[i]->size, SZ_512K);
		KUNIT_EXPECT_GE(test, buffer_phys(bufs[i], 0), base);
		KUNIT_EXPECT_LE(test, buffer_phys(bufs[i], 0) + SZ_512K,
				base + SZ_2M);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(buffer_phys(bufs[i], 0)));
		expect_zeroed(test, bufs[i]);
	}
	/* Full, and no fallback: out of memory, nothing else. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, PAGE_SIZE)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(heap), 0);

	/* Freed space is usable again, and clean. */
	put_and_flush(bufs[1]);
	bufs[1] = alloc_from(heap, SZ_512K);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bufs[1]);
	expect_zeroed(test, bufs[1]);

	for (i = 0; i < ARRAY_SIZE(bufs); i++)
		dma_buf_put(bufs[i]);
}

/*
 * The core remembers that a carveout had no room for a request (it is
 * exclusive), and must never refuse what the carveout could serve: a
 * smaller request, or any request once a buffer was released.
 */
static void carveout_full_is_forgotten_on_release(struct kunit *test)
{
	struct dma_buf *bufs[4], *big;
	struct dma_heap *heap;
	phys_addr_t base;

	heap = declare_carveout(test, "kunit-carveout-frag", &base);
	fill_carveout(test, heap, bufs);

	/* Two holes of 512 KiB, not next to each other: 1 MiB fails... */
	put_and_flush(bufs[0]);
	put_and_flush(bufs[2]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, SZ_1M)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, SZ_1M)), -ENOMEM);
	/* ...512 KiB still fits, twice. */
	bufs[0] = alloc_from(heap, SZ_512K);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, bufs[0]);
	bufs[2] = alloc_from(heap, SZ_512K);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, bufs[2]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, PAGE_SIZE)), -ENOMEM);

	/* A release makes room: 1 MiB fits once two neighbours went. */
	put_and_flush(bufs[1]);
	put_and_flush(bufs[2]);
	big = alloc_from(heap, SZ_1M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, big);
	expect_zeroed(test, big);

	dma_buf_put(big);
	dma_buf_put(bufs[0]);
	dma_buf_put(bufs[3]);
}

static void carveout_needs_a_static_region(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-carveout-noregion",
		.compatible = "linux,dma-heap-carveout",
	};

	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
}

static struct cma *default_cma(struct kunit *test)
{
	struct cma *cma = dev_get_cma_area(NULL);

	if (!cma)
		kunit_skip(test, "no default CMA area");
	return cma;
}

static void chunk_buffers_are_aligned_chunks(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-chunk",
		.compatible = "linux,dma-heap-chunk",
		.chunk_size = SZ_1M,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	unsigned int i;

	desc.cma = default_cma(test);
	heap = declare_heap(test, &desc);

	/* 3 MiB and a byte: four chunks, but a buffer of the size asked. */
	dmabuf = alloc_from(heap, SZ_2M + SZ_1M + 1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, dmabuf->size, SZ_2M + SZ_1M + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ((struct dma_heap_buffer *)dmabuf->priv)->sgt.orig_nents, 4);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(buffer_phys(dmabuf, i),
						   SZ_1M));
	expect_zeroed(test, dmabuf);
	dma_buf_put(dmabuf);
}

static void chunk_heap_runs_out_cleanly(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-chunk-full",
		.compatible = "linux,dma-heap-chunk",
		.chunk_size = SZ_1M,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	struct cma *cma = default_cma(test);
	size_t region = cma_get_size(cma);

	desc.cma = cma;
	heap = declare_heap(test, &desc);

	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, region + SZ_1M)),
			-ENOMEM);
	/* A failed allocation leaves all chunks free for the next one. */
	dmabuf = alloc_from(heap, SZ_4M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	dma_buf_put(dmabuf);
}

struct chunk_size_case {
	u32 chunk_size;
	const char *desc;
};

static const struct chunk_size_case bad_chunk_sizes[] = {
	{ 0, "missing" },
	{ 3 * SZ_1M, "not a power of two" },
	{ SZ_2K, "smaller than a page" },
	{ SZ_1G, "larger than the region" },
};

static void chunk_size_desc(const struct chunk_size_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(chunk_size, bad_chunk_sizes, chunk_size_desc);

static void chunk_heap_refuses_bad_chunk_size(struct kunit *test)
{
	const struct chunk_size_case *c = test->param_value;
	struct dma_heap_desc desc = {
		.name = "kunit-chunk-bad",
		.compatible = "linux,dma-heap-chunk",
		.chunk_size = c->chunk_size,
	};

	desc.cma = default_cma(test);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
}

static void cma_buffers_are_contiguous(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-cma",
		.compatible = "linux,dma-heap-cma",
	};
	struct dma_heap_buffer *buffer;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	struct cma *cma = default_cma(test);

	desc.cma = cma;
	heap = declare_heap(test, &desc);

	dmabuf = alloc_from(heap, SZ_2M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	buffer = dmabuf->priv;
	KUNIT_EXPECT_EQ(test, buffer->sgt.orig_nents, 1);
	KUNIT_EXPECT_GE(test, buffer_phys(dmabuf, 0), cma_get_base(cma));
	expect_zeroed(test, dmabuf);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, cma_get_size(cma) +
						 PAGE_SIZE)), -ENOMEM);
	dma_buf_put(dmabuf);
}

/* A heap named @name exists and allocates from @cma. */
static void expect_cma_heap_over(struct kunit *test, const char *name,
				 struct cma *cma)
{
	phys_addr_t base = cma_get_base(cma), end = base + cma_get_size(cma);
	struct dma_heap *heap = dma_heap_find(name);
	struct dma_buf *dmabuf;

	KUNIT_EXPECT_NOT_NULL_MSG(test, heap, "no heap %s", name);
	if (!heap)
		return;
	dmabuf = alloc_from(heap, SZ_1M);
	dma_heap_put(heap);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(dmabuf), "%s: %pe", name, dmabuf);
	if (IS_ERR(dmabuf))
		return;
	KUNIT_EXPECT_GE(test, buffer_phys(dmabuf, 0), base);
	KUNIT_EXPECT_LE(test, buffer_phys(dmabuf, 0) + SZ_1M, end);
	dma_buf_put(dmabuf);
}

/*
 * Booted without heap nodes (kunit.sh's overlay has two reusable regions,
 * one the default area), the kernel offers newest mainline's CMA heaps:
 * "default_cma_region", and one heap per reusable region named after its
 * node, unit address included; the default area's region only with the
 * legacy option. Each allocates from its own area.
 */
static void defaults_are_newest_mainline_cma_heaps(struct kunit *test)
{
	struct cma *dflt = default_cma(test);
	struct device_node *parent, *np;
	unsigned int regions = 0;

	np = of_find_compatible_node(NULL, NULL, "linux,dma-heaps");
	of_node_put(np);
	if (np)
		kunit_skip(test, "the device tree declares the heaps");

	expect_cma_heap_over(test, "default_cma_region", dflt);
	parent = of_find_node_by_path("/reserved-memory");
	for_each_available_child_of_node(parent, np) {
		const char *name = kbasename(np->full_name);
		struct reserved_mem *rmem;

		if (!of_device_is_compatible(np, "shared-dma-pool") ||
		    !of_property_read_bool(np, "reusable"))
			continue;
		rmem = of_reserved_mem_lookup(np);
		KUNIT_EXPECT_TRUE_MSG(test, rmem && rmem->priv,
				      "%pOF is no CMA area", np);
		if (!rmem || !rmem->priv)
			continue;
		regions++;
		if (rmem->priv == dflt &&
		    !IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA_LEGACY)) {
			KUNIT_EXPECT_FALSE(test, heap_exists(name));
			continue;
		}
		expect_cma_heap_over(test, name, rmem->priv);
	}
	of_node_put(parent);
	KUNIT_EXPECT_GE_MSG(test, regions, 2,
			    "the overlay of kunit.sh has two reusable regions");
}

/* Three heaps: two 1 MiB carveouts in a chain, then the system heap. */
static void fallback_follows_the_chain(struct kunit *test)
{
	struct dma_heap_desc first = {
		.name = "kunit-fb-first",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "kunit-fb-second",
		.size = SZ_1M,
	};
	struct dma_heap_desc second = {
		.name = "kunit-fb-second",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "system",
		.size = SZ_1M,
	};
	static const char * const served_by[] = {
		"kunit-fb-first", "kunit-fb-second", "system",
	};
	struct dma_heap *h1, *h2;
	struct dma_buf *bufs[3];
	unsigned int i;

	first.base = test_region(test, SZ_1M);
	second.base = test_region(test, SZ_1M);
	h1 = declare_heap(test, &first);
	h2 = declare_heap(test, &second);

	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		bufs[i] = alloc_from(h1, SZ_1M);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bufs[i]);
		KUNIT_EXPECT_STREQ(test, bufs[i]->exp_name, served_by[i]);
	}
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(h1), 2);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(h2), 1);

	/* Bad arguments are final: no fallback for them. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(h1, SZ_1M,
							    O_RDWR, 1)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(h1), 2);

	for (i = 0; i < ARRAY_SIZE(bufs); i++)
		dma_buf_put(bufs[i]);
}

/* Declarations made in code skip the DT checks: the core still stops. */
static void fallback_loop_is_bounded(struct kunit *test)
{
	struct dma_heap_desc x = {
		.name = "kunit-loop-x",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "kunit-loop-y",
		.size = SZ_1M,
	};
	struct dma_heap_desc y = {
		.name = "kunit-loop-y",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "kunit-loop-x",
		.size = SZ_1M,
	};
	struct dma_heap *hx, *hy;

	x.base = test_region(test, SZ_1M);
	y.base = test_region(test, SZ_1M);
	hx = declare_heap(test, &x);
	hy = declare_heap(test, &y);

	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(hx, SZ_2M)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(hx) +
			dma_heap_fallback_count(hy), DMA_HEAP_MAX_CHAIN - 1);
}

/*
 * A second declaration of a heap's name does not make a second heap, nor
 * disturb the first: the core holds the names. Undeclaring the name
 * withdraws both.
 */
static void declare_twice_makes_one_heap(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-twice",
		.compatible = TEST_COMPATIBLE,
	};
	struct dma_heap *first, *second;

	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&test_type), 0);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	first = dma_heap_find(desc.name);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	second = dma_heap_find(desc.name);
	KUNIT_EXPECT_PTR_EQ(test, second, first);
	if (second)
		dma_heap_put(second);
	dma_heap_put(first);
	dma_heap_undeclare(desc.name);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_type_unregister(&test_type);
}

/*
 * A type with real buffers, to see what unregistering it does to them:
 * one zeroed block of pages per buffer, and a count of destroyed heaps.
 */
static unsigned int paged_destroyed;

static void paged_release(struct dma_heap_buffer *buffer)
{
	__free_pages(sg_page(buffer->sgt.sgl), get_order(buffer->len));
	sg_free_table(&buffer->sgt);
	kfree(buffer);
}

static const struct dma_heap_buffer_ops paged_buffer_ops = {
	.release = paged_release,
};

static struct dma_buf *paged_allocate(struct dma_heap *heap,
				      struct dma_heap_instance *inst,
				      unsigned long len, u32 fd_flags)
{
	struct dma_heap_buffer *buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO,
					get_order(len));
	struct dma_buf *dmabuf;

	if (!buffer || !page || sg_alloc_table(&buffer->sgt, 1, GFP_KERNEL)) {
		if (page)
			__free_pages(page, get_order(len));
		kfree(buffer);
		return ERR_PTR(-ENOMEM);
	}
	sg_set_page(buffer->sgt.sgl, page, len, 0);
	dma_heap_buffer_init(buffer, heap, inst, &paged_buffer_ops, len);
	buffer->no_linear_map = *(bool *)inst->priv;
	dmabuf = dma_heap_buffer_export(buffer, fd_flags);
	if (IS_ERR(dmabuf))
		paged_release(buffer);
	return dmabuf;
}

/* Private data: whether buffers are marked as having no linear map. */
static void *paged_create(const struct dma_heap_desc *desc)
{
	bool *no_map = kzalloc(sizeof(*no_map), GFP_KERNEL);

	if (!no_map)
		return ERR_PTR(-ENOMEM);
	*no_map = desc->no_map;
	return no_map;
}

static void paged_destroy(void *priv)
{
	kfree(priv);
	paged_destroyed++;
}

static struct dma_heap_type paged_type = {
	.name = "kunit-paged",
	.compatible = TEST_COMPATIBLE_PAGED,
	.owner = THIS_MODULE,
	.create = paged_create,
	.destroy = paged_destroy,
	.allocate = paged_allocate,
};

static void type_unregistered_under_live_buffer(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-paged",
		.compatible = TEST_COMPATIBLE_PAGED,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;

	paged_destroyed = 0;
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&paged_type), 0);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	heap = dma_heap_find(desc.name);
	KUNIT_ASSERT_NOT_NULL(test, heap);
	dmabuf = alloc_from(heap, SZ_8K);
	dma_heap_put(heap);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);

	dma_heap_type_unregister(&paged_type);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	/* The buffer still works, and its heap's data is still there. */
	KUNIT_EXPECT_EQ(test, paged_destroyed, 0);
	expect_zeroed(test, dmabuf);
	KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, "kunit-paged");

	put_and_flush(dmabuf);
	KUNIT_EXPECT_EQ(test, paged_destroyed, 1);
	dma_heap_undeclare(desc.name);
}

/*
 * A buffer smaller than the system heap's smallest block (64K with 4K
 * pages) is single pages, which the pool never keeps: it takes none from
 * the pool and leaves none in it. A larger buffer's single pages do not
 * reach the pool either, only its blocks.
 */
static void system_small_buffers_bypass_the_pool(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-system-small",
		.compatible = "linux,dma-heap-system",
		.pool_size = SZ_4M,
	};
	/* The system heap's smallest block: 16 pages. */
	const size_t block = 16 * PAGE_SIZE;
	struct dma_heap_pool_stats stats;
	struct dma_heap_buffer *buffer;
	struct dma_heap_pool *pool;
	struct scatterlist *sg;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	unsigned int i;

	heap = declare_heap(test, &desc);
	pool = pool_of(test, heap);

	dmabuf = alloc_from(heap, block - PAGE_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	buffer = dmabuf->priv;
	KUNIT_EXPECT_EQ(test, buffer->sgt.orig_nents, block / PAGE_SIZE - 1);
	for_each_sgtable_sg(&buffer->sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, sg->length, PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, sg->offset, 0);
	}
	expect_zeroed(test, dmabuf);
	put_and_flush(dmabuf);
	dma_heap_pool_get_stats(pool, &stats);
	KUNIT_EXPECT_EQ(test, stats.hits + stats.misses, 0);
	KUNIT_EXPECT_EQ(test, stats.pooled_bytes, 0);

	/* One block from the pool and two pages from the page allocator. */
	dmabuf = alloc_from(heap, block + 2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	buffer = dmabuf->priv;
	KUNIT_EXPECT_EQ(test, buffer->sgt.orig_nents, 3);
	expect_zeroed(test, dmabuf);
	put_and_flush(dmabuf);
	dma_heap_pool_get_stats(pool, &stats);
	KUNIT_EXPECT_EQ(test, stats.hits + stats.misses, 1);
	/* The shrinker may have emptied the pool since, never overfilled it. */
	KUNIT_EXPECT_LE(test, stats.pooled_bytes, block);
}

static void system_pool_recycles_zeroed_blocks(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-system-pooled",
		.compatible = "linux,dma-heap-system",
		.pool_size = SZ_4M,
		.pool_prefill = SZ_1M,
	};
	struct dma_heap_pool_stats stats;
	struct dma_heap_pool *pool;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	unsigned int round;

	heap = declare_heap(test, &desc);
	pool = pool_of(test, heap);
	dma_heap_pool_wait_idle(pool);
	dma_heap_pool_get_stats(pool, &stats);
	KUNIT_EXPECT_EQ(test, stats.pooled_bytes, SZ_1M);

	/* expect_zeroed() dirties each buffer before it is freed. */
	for (round = 0; round < 8; round++) {
		dmabuf = alloc_from(heap, SZ_1M + SZ_64K);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
		expect_zeroed(test, dmabuf);
		put_and_flush(dmabuf);
		if (round % 2)
			dma_heap_pool_wait_idle(pool);
	}
	dma_heap_pool_get_stats(pool, &stats);
	/*
	 * Two blocks a round, and the pool did serve recycled ones. Exact
	 * counts would depend on the shrinker, which may empty the pool at
	 * any time.
	 */
	KUNIT_EXPECT_EQ(test, stats.hits + stats.misses, 16);
	KUNIT_EXPECT_GT(test, stats.hits, 0);
}

static void chunk_pool_recycles_zeroed_chunks(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-chunk-pooled",
		.compatible = "linux,dma-heap-chunk",
		.chunk_size = SZ_1M,
		.pool_size = SZ_4M,
	};
	struct dma_heap_pool_stats stats;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;

	desc.cma = default_cma(test);
	heap = declare_heap(test, &desc);
	KUNIT_ASSERT_NOT_NULL(test, dma_heap_get_pool(heap));

	dmabuf = alloc_from(heap, SZ_2M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	expect_zeroed(test, dmabuf);
	put_and_flush(dmabuf);

	dmabuf = alloc_from(heap, SZ_2M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	expect_zeroed(test, dmabuf);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(buffer_phys(dmabuf, 1), SZ_1M));
	dma_heap_pool_get_stats(dma_heap_get_pool(heap), &stats);
	KUNIT_EXPECT_EQ(test, stats.hits + stats.misses, 4);
	KUNIT_EXPECT_GT(test, stats.hits, 0);
	dma_buf_put(dmabuf);
}

/*
 * A carveout undeclared while a buffer of it lives, and declared again
 * over the same memory, does not come back until that buffer is freed:
 * a second allocator over the region would hand out the buffer's pages.
 */
static void carveout_redeclared_waits_for_old_buffers(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-redeclared",
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_2M,
	};
	struct dma_heap *heap;
	struct dma_buf *old;

	desc.base = test_region(test, desc.size);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	heap = dma_heap_find(desc.name);
	KUNIT_ASSERT_NOT_NULL(test, heap);
	old = alloc_from(heap, SZ_2M);
	dma_heap_put(heap);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, old);

	dma_heap_undeclare(desc.name);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	dma_heap_registry_flush();
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));

	/* The old buffer still has its memory to itself, and works. */
	expect_zeroed(test, old);
	put_and_flush(old);
	dma_heap_registry_flush();
	KUNIT_EXPECT_TRUE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
}

/*
 * Two declarations from different places (two heaps nodes, or a driver)
 * of carveouts over overlapping memory: the second is refused, the first
 * keeps its region, and once the first goes, a new declaration over it is
 * taken.
 */
static void carveout_over_a_live_carveout_is_refused(struct kunit *test)
{
	struct dma_heap_desc first = {
		.name = "kunit-first",
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_2M,
	};
	struct dma_heap_desc next = {
		.name = "kunit-next",
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_1M,
	};
	struct dma_heap_desc over = {
		.name = "kunit-over",
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_1M,
	};

	first.base = test_region(test, SZ_4M);
	next.base = first.base + first.size;
	over.base = first.base + SZ_1M + SZ_512K;
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&first), 0);
	KUNIT_ASSERT_TRUE(test, heap_exists(first.name));

	/* Right after it: taken. Over its last half MiB: refused. */
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&next), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists(next.name));
	dma_heap_undeclare(next.name);
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&over), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(over.name));
	dma_heap_undeclare(over.name);

	/* Its region free again, with no buffer in it: taken. */
	dma_heap_undeclare(first.name);
	dma_heap_registry_flush();
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&over), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists(over.name));
	dma_heap_undeclare(over.name);
	dma_heap_registry_flush();
}

/*
 * A carveout over a range that is not RAM (a mistyped address: here
 * QEMU virt's PCIe window) is refused when it is declared, instead of
 * faulting in the memset of its first allocation.
 */
static void carveout_outside_ram_is_refused(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-not-ram",
		.compatible = "linux,dma-heap-carveout",
		.base = 0x10000000,
		.size = SZ_1M,
	};

	if (pfn_valid(PHYS_PFN(desc.base)))
		kunit_skip(test, "%pa is RAM on this machine", &desc.base);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
}

static struct device *dma_test_device(struct kunit *test, const char *name,
				      u64 mask)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, mask), 0);
	return dev;
}

/*
 * Memory without a linear mapping (a no-map carveout, SRAM) is mapped for
 * a device in place, by its address: a device behind swiotlb must not
 * get it bounced, since the bounce copies through the linear mapping that
 * such memory does not have. A device that cannot reach it in place gets
 * an error. The test device bounces everything (its own swiotlb pool,
 * empty, with force_bounce set), so a bounce attempt fails the mapping.
 */
static void exporter_maps_unmapped_memory_in_place(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-nomap",
		.compatible = TEST_COMPATIBLE_PAGED,
		.no_map = true,
	};
#ifdef CONFIG_SWIOTLB
	static struct io_tlb_mem bounce_everything = { .force_bounce = true };
#endif
	struct dma_buf_attachment *attach;
	struct device *dev, *far;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;

	if (!IS_ENABLED(CONFIG_SWIOTLB))
		kunit_skip(test, "no swiotlb");
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&paged_type), 0);
	heap = declare_heap(test, &desc);
	dmabuf = alloc_from(heap, SZ_64K);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);

	dev = dma_test_device(test, "dma-heap-bounce", DMA_BIT_MASK(64));
#ifdef CONFIG_SWIOTLB
	dev->dma_io_tlb_mem = &bounce_everything;
#endif
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(sgt));
	if (!IS_ERR(sgt)) {
		KUNIT_EXPECT_EQ(test, sg_dma_address(sgt->sgl),
				phys_to_dma(dev, buffer_phys(dmabuf, 0)));
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	}
	dma_buf_detach(dmabuf, attach);

	/*
	 * A device that reaches only the first 4 KiB: dma_set_mask() would
	 * refuse a mask below the machine's RAM, so it is set by hand.
	 */
	far = dma_test_device(test, "dma-heap-far", DMA_BIT_MASK(64));
	far->coherent_dma_mask = DMA_BIT_MASK(12);
	attach = dma_buf_attach(dmabuf, far);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_TRUE(test, IS_ERR(sgt));
	dma_buf_detach(dmabuf, attach);

	put_and_flush(dmabuf);
	dma_heap_type_unregister(&paged_type);
}

/* What the exporter asked of the DMA API, by operation. */
struct dma_call_log {
	unsigned int calls[DMA_HEAP_DMA_SYNC_FOR_DEVICE + 1];
	unsigned long attrs[DMA_HEAP_DMA_SYNC_FOR_DEVICE + 1];
};

/* Stands in for dma_heap_dma_call() in the test's thread: logs, calls. */
static int log_dma_call(enum dma_heap_dma_op op, struct device *dev,
			struct sg_table *sgt,
			enum dma_data_direction direction, unsigned long attrs)
{
	struct dma_call_log *log = kunit_get_current_test()->priv;

	log->calls[op]++;
	log->attrs[op] |= attrs;
	return dma_heap_dma_do(op, dev, sgt, direction, attrs);
}

/*
 * A 64K buffer of a system heap, cached or not, attached to a device of
 * the test's: the heap and the device named after @name. A name of its
 * own per case: with kobject releases delayed, the other case's device
 * may still hold its name.
 */
static struct dma_buf_attachment *
attach_system_buffer(struct kunit *test, const char *name, bool uncached)
{
	struct dma_heap_desc desc = {
		.name = name,
		.compatible = "linux,dma-heap-system",
		.uncached = uncached,
	};
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	char dev_name[40];
	struct device *dev;

	dmabuf = alloc_from(declare_heap(test, &desc), SZ_64K);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	snprintf(dev_name, sizeof(dev_name), "%s-%s", name,
		 uncached ? "uc" : "c");
	dev = dma_test_device(test, dev_name, DMA_BIT_MASK(64));
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	return attach;
}

/*
 * A device mapping of an uncached buffer skips the CPU cache maintenance
 * and CPU access syncs nothing; a cached buffer gets both, as ever.
 */
static void exporter_syncs_cached_buffers_only(struct kunit *test)
{
	bool uncached = *(const bool *)test->param_value;
	unsigned long skip = uncached ? DMA_ATTR_SKIP_CPU_SYNC : 0;
	unsigned int syncs = uncached ? 0 : 1;
	struct dma_buf_attachment *attach;
	struct dma_call_log log = {};
	struct dma_buf *dmabuf;
	struct sg_table *sgt;

	attach = attach_system_buffer(test, "kunit-sync", uncached);
	dmabuf = attach->dmabuf;
	test->priv = &log;
	kunit_activate_static_stub(test, dma_heap_dma_call, log_dma_call);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf,
						       DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf,
						     DMA_BIDIRECTIONAL), 0);
	if (!IS_ERR(sgt))
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	kunit_deactivate_static_stub(test, dma_heap_dma_call);
	dma_buf_detach(dmabuf, attach);
	put_and_flush(dmabuf);

	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_MAP], 1);
	KUNIT_EXPECT_EQ(test, log.attrs[DMA_HEAP_DMA_MAP], skip);
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_UNMAP], 1);
	KUNIT_EXPECT_EQ(test, log.attrs[DMA_HEAP_DMA_UNMAP], skip);
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_SYNC_FOR_CPU], syncs);
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_SYNC_FOR_DEVICE], syncs);
}

/*
 * Stands in for dma_heap_dma_call(): logs, and maps each buffer a page
 * further on, as a swiotlb bounce maps it at another address; an unmap
 * gets the real mapping back first.
 */
static int bounce_dma_call(enum dma_heap_dma_op op, struct device *dev,
			   struct sg_table *sgt,
			   enum dma_data_direction direction,
			   unsigned long attrs)
{
	int ret;

	if (op == DMA_HEAP_DMA_UNMAP)
		sg_dma_address(sgt->sgl) -= PAGE_SIZE;
	ret = log_dma_call(op, dev, sgt, direction, attrs);
	if (!ret && op == DMA_HEAP_DMA_MAP)
		sg_dma_address(sgt->sgl) += PAGE_SIZE;
	return ret;
}

/*
 * A bounced mapping copies through the cached linear mapping, and only
 * with the syncs an uncached buffer's mappings skip: the device would get
 * stale data. An uncached buffer's bounced mapping is undone and refused;
 * a cached buffer's stands, its syncs do the copies.
 */
static void exporter_refuses_to_bounce_uncached_buffers(struct kunit *test)
{
	bool uncached = *(const bool *)test->param_value;
	struct dma_buf_attachment *attach;
	struct dma_call_log log = {};
	struct dma_buf *dmabuf;
	struct sg_table *sgt;

	attach = attach_system_buffer(test, "kunit-bounce", uncached);
	dmabuf = attach->dmabuf;
	test->priv = &log;
	kunit_activate_static_stub(test, dma_heap_dma_call, bounce_dma_call);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(sgt), uncached ? -EIO : 0);
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_MAP], 1);
	/* Refused, and nothing left mapped. */
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_UNMAP], uncached ? 1 : 0);
	if (!IS_ERR(sgt))
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	kunit_deactivate_static_stub(test, dma_heap_dma_call);
	KUNIT_EXPECT_EQ(test, log.calls[DMA_HEAP_DMA_UNMAP], 1);
	dma_buf_detach(dmabuf, attach);
	put_and_flush(dmabuf);
}

/* How each kind of heap gets its memory, cached and uncached. */
struct clean_case {
	const char *desc;
	const char *compatible;
	bool uncached;
	u32 pool_size;
	bool region;
	bool cma;
};

static const struct clean_case clean_cases[] = {
	{ "uncached system, pooled", "linux,dma-heap-system", true, SZ_4M },
	{ "uncached system", "linux,dma-heap-system", true, 0 },
	{ "uncached chunk, pooled", "linux,dma-heap-chunk", true, SZ_4M,
	  false, true },
	{ "uncached cma", "linux,dma-heap-cma", true, 0, false, true },
	{ "uncached carveout", "linux,dma-heap-carveout", true, 0, true },
	{ "cached system, pooled", "linux,dma-heap-system", false, SZ_4M },
	{ "cached carveout", "linux,dma-heap-carveout", false, 0, true },
};

static void clean_case_desc(const struct clean_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(clean, clean_cases, clean_case_desc);

static void expect_cleaned(struct kunit *test, struct clean_log *log,
			   struct dma_buf *dmabuf, bool cleaned)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, buffer->uncached, cleaned);
	for_each_sgtable_sg(&buffer->sgt, sg, i)
		KUNIT_EXPECT_EQ(test, clean_log_has(log, sg_page(sg),
						    sg->length >> PAGE_SHIFT),
				cleaned);
}

static void forget_cleans(struct clean_log *log, struct dma_buf *dmabuf)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buffer->sgt, sg, i)
		clean_log_forget(log, sg_page(sg), sg->length >> PAGE_SHIFT);
}

/*
 * Every page an uncached heap hands out was cleaned out of the CPU caches
 * after it was last zeroed: new memory, recycled pool blocks (zeroed by
 * the worker or by the allocation), CMA and carveout memory. A cached
 * heap cleans nothing.
 */
static void uncached_heaps_clean_what_they_hand_out(struct kunit *test)
{
	const struct clean_case *c = test->param_value;
	struct dma_heap_desc desc = {
		.name = "kunit-clean",
		.compatible = c->compatible,
		.uncached = c->uncached,
		.pool_size = c->pool_size,
	};
	/* With 4K pages: blocks only; single pages only; a block and pages. */
	static const size_t sizes[] = {
		SZ_256K + SZ_64K, SZ_8K + SZ_4K, SZ_64K + SZ_8K,
	};
	struct clean_log *log;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	unsigned int round;

	if (c->cma)
		desc.cma = default_cma(test);
	if (!strcmp(c->compatible, "linux,dma-heap-chunk"))
		desc.chunk_size = SZ_64K;
	if (c->region) {
		desc.size = SZ_2M;
		desc.base = test_region(test, desc.size);
	}
	log = clean_log_start(test);
	heap = declare_heap(test, &desc);

	for (round = 0; round < 2 * ARRAY_SIZE(sizes); round++) {
		dmabuf = alloc_from(heap, sizes[round % ARRAY_SIZE(sizes)]);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
		expect_cleaned(test, log, dmabuf, c->uncached);
		expect_zeroed(test, dmabuf);
		/* Handed out again, these pages must be cleaned again. */
		forget_cleans(log, dmabuf);
		put_and_flush(dmabuf);
		if (round % 2 && dma_heap_get_pool(heap))
			dma_heap_pool_wait_idle(dma_heap_get_pool(heap));
	}
	KUNIT_EXPECT_FALSE(test, log->overflow);
}

/* A buffer that falls back is cleaned by the heap that serves it. */
static void uncached_fallback_is_cleaned(struct kunit *test)
{
	struct dma_heap_desc first = {
		.name = "kunit-unc-first",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "kunit-unc-second",
		.uncached = true,
		.size = SZ_1M,
	};
	struct dma_heap_desc second = {
		.name = "kunit-unc-second",
		.compatible = "linux,dma-heap-system",
		.uncached = true,
	};
	struct dma_buf *bufs[2];
	struct clean_log *log;
	struct dma_heap *heap;
	unsigned int i;

	first.base = test_region(test, SZ_1M);
	log = clean_log_start(test);
	declare_heap(test, &second);
	heap = declare_heap(test, &first);
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		bufs[i] = alloc_from(heap, SZ_1M);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bufs[i]);
	}
	KUNIT_EXPECT_STREQ(test, bufs[1]->exp_name, "kunit-unc-second");
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		expect_cleaned(test, log, bufs[i], true);
		put_and_flush(bufs[i]);
	}
}

/* A full cached heap does not hand out uncached memory, nor the reverse. */
static void fallback_keeps_to_one_kind(struct kunit *test)
{
	bool uncached = *(const bool *)test->param_value;
	struct dma_heap_desc first = {
		.name = "kunit-kind-first",
		.compatible = "linux,dma-heap-carveout",
		.fallback = "kunit-kind-second",
		.uncached = uncached,
		.size = SZ_1M,
	};
	struct dma_heap_desc second = {
		.name = "kunit-kind-second",
		.compatible = "linux,dma-heap-system",
		.uncached = !uncached,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;

	first.base = test_region(test, SZ_1M);
	declare_heap(test, &second);
	heap = declare_heap(test, &first);
	dmabuf = alloc_from(heap, SZ_1M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, SZ_1M)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(heap), 0);
	put_and_flush(dmabuf);
}

/* A type that can only make cached buffers refuses an uncached heap. */
static void uncached_needs_a_type_that_can(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-paged-uncached",
		.compatible = TEST_COMPATIBLE_PAGED,
		.uncached = true,
	};

	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&paged_type), 0);
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);

	desc.uncached = false;
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);

	/* Over a no-map region, as the DT layer declares it: not refused. */
	desc.uncached = true;
	desc.no_map = true;
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
	dma_heap_type_unregister(&paged_type);
}

/*
 * Protected heaps, with a protector of the test's own that logs its
 * calls: what it was asked to protect, and what is protected now.
 */
struct protect_log {
	unsigned int protects;
	unsigned int unprotects;
	unsigned long first_pfn;
	unsigned long pages;
	int fail;
};

static struct protect_log protect_log;

static unsigned long sgt_pages(struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned long pages = 0;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		pages += sg->length >> PAGE_SHIFT;
	return pages;
}

static int log_protect(struct dma_heap_protector *prot, struct sg_table *sgt)
{
	if (protect_log.fail)
		return protect_log.fail;
	protect_log.protects++;
	protect_log.first_pfn = page_to_pfn(sg_page(sgt->sgl));
	protect_log.pages += sgt_pages(sgt);
	return 0;
}

static int log_unprotect(struct dma_heap_protector *prot, struct sg_table *sgt)
{
	protect_log.unprotects++;
	protect_log.pages -= sgt_pages(sgt);
	return 0;
}

#define TEST_PROTECTOR		"kunit-protector"

static struct dma_heap_protector test_protector = {
	.name = TEST_PROTECTOR,
	.owner = THIS_MODULE,
	.protect = log_protect,
	.unprotect = log_unprotect,
};

static void test_protector_unregister(void *prot)
{
	dma_heap_protector_unregister(prot);
}

static void test_type_unregister(void *type)
{
	dma_heap_type_unregister(type);
}

static void test_undeclare(void *name)
{
	dma_heap_undeclare(name);
}

static void register_test_protector(struct kunit *test)
{
	memset(&protect_log, 0, sizeof(protect_log));
	KUNIT_ASSERT_EQ(test, dma_heap_protector_register(&test_protector), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, test_protector_unregister,
						  &test_protector), 0);
}

static struct dma_heap *declare_protected_carveout(struct kunit *test,
						   const char *name,
						   const char *fallback)
{
	struct dma_heap_desc desc = {
		.name = name,
		.compatible = "linux,dma-heap-carveout",
		.protected_by = TEST_PROTECTOR,
		.uncached = true,
		.fallback = fallback,
		.size = SZ_1M,
	};

	desc.base = test_region(test, desc.size);
	return declare_heap(test, &desc);
}

/*
 * A protected buffer's memory is protected before anyone can reach the
 * buffer and given back only after its last user, and the CPU never maps
 * it; devices still do.
 */
static void protected_buffers_are_never_mapped_for_the_cpu(struct kunit *test)
{
	struct vm_area_struct vma = { };
	struct dma_buf_attachment *attach;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	struct iosys_map map;
	struct sg_table *sgt;
	struct device *dev;

	register_test_protector(test);
	heap = declare_protected_carveout(test, "kunit-protected", NULL);
	dmabuf = alloc_from(heap, SZ_256K);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, protect_log.protects, 1);
	KUNIT_EXPECT_EQ(test, protect_log.pages, SZ_256K >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, protect_log.first_pfn,
			PHYS_PFN(buffer_phys(dmabuf, 0)));

	KUNIT_EXPECT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), -EINVAL);
	KUNIT_EXPECT_EQ(test, dmabuf->ops->mmap(dmabuf, &vma), -EPERM);
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf,
						       DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf,
						     DMA_BIDIRECTIONAL), 0);

	dev = dma_test_device(test, "dma-heap-protected-importer",
			      DMA_BIT_MASK(64));
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(sgt));
	if (!IS_ERR(sgt)) {
		KUNIT_EXPECT_EQ(test, sg_dma_address(sgt->sgl),
				phys_to_dma(dev, buffer_phys(dmabuf, 0)));
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	}
	dma_buf_detach(dmabuf, attach);

	/* A second user: the memory stays protected until it is gone too. */
	get_dma_buf(dmabuf);
	put_and_flush(dmabuf);
	KUNIT_EXPECT_EQ(test, protect_log.unprotects, 0);
	put_and_flush(dmabuf);
	KUNIT_EXPECT_EQ(test, protect_log.unprotects, 1);
	KUNIT_EXPECT_EQ(test, protect_log.pages, 0);
}

/*
 * A protector that fails: the allocation fails with its error, and the
 * memory is back in the heap, not handed out and not lost.
 */
static void failed_protection_hands_nothing_out(struct kunit *test)
{
	struct dma_heap *heap;
	struct dma_buf *dmabuf;

	register_test_protector(test);
	heap = declare_protected_carveout(test, "kunit-protect-fails", NULL);
	protect_log.fail = -EIO;
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, SZ_1M)), -EIO);
	/* Nothing was protected, so nothing is given back. */
	KUNIT_EXPECT_EQ(test, protect_log.unprotects, 0);

	/* The whole region is free again. */
	protect_log.fail = 0;
	dmabuf = alloc_from(heap, SZ_1M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, protect_log.protects, 1);
	put_and_flush(dmabuf);
}

/*
 * Protected memory stays with heaps of its protector: a full protected
 * heap falls back to another one, never to an unprotected heap.
 */
static void protected_fallback_stays_protected(struct kunit *test)
{
	struct dma_buf *bufs[2];
	struct dma_heap *heap;
	unsigned int i;

	register_test_protector(test);
	declare_protected_carveout(test, "kunit-prot-second", NULL);
	heap = declare_protected_carveout(test, "kunit-prot-first",
					  "kunit-prot-second");
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		bufs[i] = alloc_from(heap, SZ_1M);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bufs[i]);
	}
	KUNIT_EXPECT_STREQ(test, bufs[1]->exp_name, "kunit-prot-second");
	KUNIT_EXPECT_EQ(test, protect_log.protects, 2);
	for (i = 0; i < ARRAY_SIZE(bufs); i++)
		put_and_flush(bufs[i]);
}

static void protected_never_falls_back_to_unprotected(struct kunit *test)
{
	struct dma_heap_desc plain = {
		.name = "kunit-unprotected",
		.compatible = "linux,dma-heap-system",
		.uncached = true,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;

	register_test_protector(test);
	declare_heap(test, &plain);
	heap = declare_protected_carveout(test, "kunit-prot-alone",
					  "kunit-unprotected");
	dmabuf = alloc_from(heap, SZ_1M);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_from(heap, SZ_1M)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(heap), 0);
	put_and_flush(dmabuf);
}

/* A declaration the protection cannot serve: no heap, nothing else lost. */
struct protect_refusal {
	const char *desc;
	const char *compatible;
	const char *protector;
	bool no_map;
	u32 pool_size;
	bool cached;	/* the declaration does not ask for uncached */
};

/*
 * The CPU must not cache protected memory: a type that makes cached
 * buffers only is refused, whether the declaration says uncached (as the
 * device tree layer does for every protected heap; also refused, with
 * another reason, by the check of "dma-noncoherent") or not (as a
 * driver's declaration may: only the protector's check refuses that).
 */
static const struct protect_refusal protect_refusals[] = {
	{ "type that cannot be protected", TEST_COMPATIBLE, TEST_PROTECTOR },
	{ "pool", "linux,dma-heap-system", TEST_PROTECTOR, false, SZ_1M },
	{ "firmware over mapped memory", "linux,dma-heap-carveout",
	  "firmware" },
	{ "linear-map over no-map memory", "linux,dma-heap-carveout",
	  "linear-map", true },
	{ "cached-only type", TEST_COMPATIBLE_CACHED, TEST_PROTECTOR },
	{ "cached-only type, declared cached", TEST_COMPATIBLE_CACHED,
	  TEST_PROTECTOR, false, 0, true },
};

static void protect_refusal_desc(const struct protect_refusal *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", r->desc);
}

KUNIT_ARRAY_PARAM(protect_refusal, protect_refusals, protect_refusal_desc);

static void protection_refuses_what_it_cannot_serve(struct kunit *test)
{
	const struct protect_refusal *r = test->param_value;
	struct dma_heap_desc desc = {
		.name = "kunit-prot-refused",
		.compatible = r->compatible,
		.protected_by = r->protector,
		.uncached = !r->cached,
		.no_map = r->no_map,
		.pool_size = r->pool_size,
	};

	if (!dma_heap_protector_registered(r->protector) &&
	    strcmp(r->protector, TEST_PROTECTOR))
		kunit_skip(test, "no %s protector in this kernel", r->protector);
	register_test_protector(test);
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&test_type), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_type_unregister,
							&test_type), 0);
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&cached_type), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_type_unregister,
							&cached_type), 0);
	if (!strcmp(r->compatible, "linux,dma-heap-carveout")) {
		desc.size = SZ_1M;
		desc.base = test_region(test, desc.size);
	}
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	dma_heap_undeclare(desc.name);
}

/* A heap waits for its protector, and goes with it. */
static void protected_heap_comes_and_goes_with_its_protector(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-prot-waits",
		.compatible = "linux,dma-heap-carveout",
		.protected_by = TEST_PROTECTOR,
		.uncached = true,
		.size = SZ_1M,
	};

	desc.base = test_region(test, desc.size);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_undeclare,
							(void *)desc.name), 0);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	register_test_protector(test);
	KUNIT_EXPECT_TRUE(test, heap_exists(desc.name));
	dma_heap_protector_unregister(&test_protector);
	KUNIT_EXPECT_FALSE(test, heap_exists(desc.name));
	/* And back, for the cleanup's unregister to find it registered. */
	KUNIT_ASSERT_EQ(test, dma_heap_protector_register(&test_protector), 0);
	KUNIT_EXPECT_TRUE(test, heap_exists(desc.name));
}

/* Write 0x5a over the buffer through a mapping other than the linear one. */
static void write_through_alias(struct kunit *test, struct dma_buf *dmabuf)
{
	struct dma_heap_buffer *buffer = dmabuf->priv;
	unsigned long n = buffer->len >> PAGE_SHIFT, i;
	struct page **pages;
	void *alias;

	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < n; i++)
		pages[i] = nth_page(sg_page(buffer->sgt.sgl), i);
	alias = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, alias);
	memset(alias, 0x5a, buffer->len);
	vunmap(alias);
}

/*
 * The linear-map protector takes a live buffer's pages out of the
 * kernel's linear map, and puts them back, cleared of what a device wrote,
 * after its last user. The carveout is over the test's own memory, which
 * the test may read after.
 */
static void linear_map_protector_unmaps_live_buffers(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-linear-map",
		.compatible = "linux,dma-heap-carveout",
		.protected_by = "linear-map",
		.uncached = true,
		.size = SZ_1M,
	};
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	unsigned long i;
	void *vaddr;
	u8 byte;

	desc.base = test_region(test, desc.size);
	vaddr = phys_to_virt(desc.base);
	memset(vaddr, 0x5a, desc.size);
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	heap = dma_heap_find(desc.name);
	if (!heap) {
		dma_heap_undeclare(desc.name);
		kunit_skip(test, "no linear-map protector (rodata=full is off)");
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_heap_release,
							heap), 0);

	dmabuf = alloc_from(heap, desc.size);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	for (i = 0; i < desc.size; i += PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, vaddr + i,
							       1), -EFAULT);
	/* A device writes the buffer: through an alias of its own. */
	write_through_alias(test, dmabuf);
	put_and_flush(dmabuf);
	for (i = 0; i < desc.size; i += PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, vaddr + i,
							       1), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, desc.size));
}

/*
 * Memory without struct pages (an on-chip SRAM): a gen_pool whose
 * addresses are a kernel mapping of it and whose physical addresses are
 * not RAM. The test's "SRAM" is a kernel buffer standing in for the I/O
 * mapping; the physical addresses are QEMU virt's PCIe window, which
 * nothing here ever touches: the exporter hands them to importers only.
 */
#define TEST_COMPATIBLE_IO	"test,dma-heap-io"
#define TEST_IO_PHYS		0x10000000
#define TEST_IO_SIZE		SZ_1M

struct test_io {
	struct gen_pool *pool;
	void *mapping;
};

/* The one heap of this type a test makes. */
static struct test_io *created_io;

static void *io_create(const struct dma_heap_desc *desc)
{
	struct test_io *io = kzalloc(sizeof(*io), GFP_KERNEL);

	if (!io)
		return ERR_PTR(-ENOMEM);
	io->mapping = vmalloc(TEST_IO_SIZE);
	io->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!io->mapping || !io->pool ||
	    gen_pool_add_virt(io->pool, (unsigned long)io->mapping,
			      TEST_IO_PHYS, TEST_IO_SIZE, NUMA_NO_NODE)) {
		if (io->pool)
			gen_pool_destroy(io->pool);
		vfree(io->mapping);
		kfree(io);
		return ERR_PTR(-ENOMEM);
	}
	/* What the last user of the "SRAM" left there. */
	memset(io->mapping, 0xa5, TEST_IO_SIZE);
	created_io = io;
	return io;
}

static void io_destroy(void *priv)
{
	struct test_io *io = priv;

	created_io = NULL;
	gen_pool_destroy(io->pool);
	vfree(io->mapping);
	kfree(io);
}

static struct dma_buf *io_allocate(struct dma_heap *heap,
				   struct dma_heap_instance *inst,
				   unsigned long len, u32 fd_flags)
{
	struct test_io *io = inst->priv;

	return dma_heap_gen_pool_allocate(heap, inst, io->pool, len, fd_flags,
					  DMA_HEAP_GEN_POOL_IO);
}

static struct dma_heap_type io_type = {
	.name = "kunit-io",
	.compatible = TEST_COMPATIBLE_IO,
	.owner = THIS_MODULE,
	.create = io_create,
	.destroy = io_destroy,
	.allocate = io_allocate,
	.caching = DMA_HEAP_UNCACHED_ONLY,
};

/*
 * A buffer of memory without struct pages is zeroed through the pool's
 * own mapping, carries no page in its table, reaches an importer by
 * address only, and is vmapped as I/O memory through that same mapping.
 */
static void io_memory_buffers_are_described_by_address(struct kunit *test)
{
	struct dma_heap_desc desc = {
		.name = "kunit-io",
		.compatible = TEST_COMPATIBLE_IO,
	};
	struct dma_buf_attachment *attach;
	struct dma_heap_buffer *buffer;
	struct test_io *io;
	struct dma_heap *heap;
	struct dma_buf *dmabuf;
	struct iosys_map map;
	struct sg_table *sgt;
	struct device *dev;

	if (pfn_valid(PHYS_PFN(TEST_IO_PHYS)))
		kunit_skip(test, "%#x is RAM on this machine", TEST_IO_PHYS);
	KUNIT_ASSERT_EQ(test, dma_heap_type_register(&io_type), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							test_type_unregister,
							&io_type), 0);
	heap = declare_heap(test, &desc);
	dmabuf = alloc_from(heap, SZ_64K);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	buffer = dmabuf->priv;
	io = created_io;

	KUNIT_EXPECT_TRUE(test, buffer->no_pages);
	KUNIT_EXPECT_TRUE(test, buffer->uncached);
	KUNIT_EXPECT_NULL(test, sg_page(buffer->sgt.sgl));
	KUNIT_EXPECT_GE(test, buffer->phys, (phys_addr_t)TEST_IO_PHYS);
	KUNIT_EXPECT_LT(test, buffer->phys,
			(phys_addr_t)TEST_IO_PHYS + TEST_IO_SIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(io->mapping +
					   (buffer->phys - TEST_IO_PHYS),
					   0, SZ_64K));

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
	KUNIT_EXPECT_TRUE(test, map.is_iomem);
	KUNIT_EXPECT_PTR_EQ(test, (void __force *)map.vaddr_iomem,
			    io->mapping + (buffer->phys - TEST_IO_PHYS));
	dma_buf_vunmap_unlocked(dmabuf, &map);

	dev = dma_test_device(test, "dma-heap-io-importer", DMA_BIT_MASK(64));
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(sgt));
	if (!IS_ERR(sgt)) {
		KUNIT_EXPECT_EQ(test, sgt->nents, 1);
		KUNIT_EXPECT_NULL(test, sg_page(sgt->sgl));
		KUNIT_EXPECT_EQ(test, sg_dma_address(sgt->sgl),
				phys_to_dma(dev, buffer->phys));
		KUNIT_EXPECT_EQ(test, sg_dma_len(sgt->sgl), SZ_64K);
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	}
	dma_buf_detach(dmabuf, attach);
	put_and_flush(dmabuf);
}

/*
 * One check for every type's memory: RAM with struct pages where a type
 * hands out pages, anything but System RAM where it maps I/O memory.
 */
static void region_check_fits_the_type(struct kunit *test)
{
	phys_addr_t ram = test_region(test, SZ_64K), bad;

	KUNIT_EXPECT_NULL(test, dma_heap_region_check(ram, SZ_64K,
						      DMA_HEAP_REGION_PAGES,
						      &bad));
	KUNIT_EXPECT_NOT_NULL(test, dma_heap_region_check(ram, SZ_64K,
							  DMA_HEAP_REGION_IO,
							  &bad));
	KUNIT_EXPECT_EQ(test, bad, ram);
	KUNIT_EXPECT_NOT_NULL(test, dma_heap_region_check(ram, 0,
							  DMA_HEAP_REGION_PAGES,
							  &bad));
	if (pfn_valid(PHYS_PFN(TEST_IO_PHYS)))
		kunit_skip(test, "%#x is RAM on this machine", TEST_IO_PHYS);
	KUNIT_EXPECT_NOT_NULL(test, dma_heap_region_check(TEST_IO_PHYS, SZ_64K,
							  DMA_HEAP_REGION_PAGES,
							  &bad));
	KUNIT_EXPECT_EQ(test, bad, (phys_addr_t)TEST_IO_PHYS);
	KUNIT_EXPECT_NULL(test, dma_heap_region_check(TEST_IO_PHYS, SZ_64K,
						      DMA_HEAP_REGION_IO,
						      &bad));
}

/*
 * Memory behind a firewall for good (the "firmware" protector) is never
 * written by the kernel, not even to zero a buffer: a non-secure write
 * would fault there. Memory a protector takes at allocation is zeroed
 * before it is protected, as any buffer is.
 */
static void firewalled_memory_is_never_written(struct kunit *test)
{
	static struct dma_heap_protector firewall = {
		.name = "kunit-firewall",
		.owner = THIS_MODULE,
		.no_map_only = true,
		.stays_protected = true,
		.protect = log_protect,
		.unprotect = log_unprotect,
	};
	static const char * const names[] = {
		"kunit-firewall", TEST_PROTECTOR,
	};
	struct dma_heap_desc desc = {
		.compatible = "linux,dma-heap-carveout",
		.size = SZ_64K,
	};
	struct dma_buf *dmabuf;
	unsigned int i;
	void *vaddr;

	register_test_protector(test);
	KUNIT_ASSERT_EQ(test, dma_heap_protector_register(&firewall), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, test_protector_unregister,
						  &firewall), 0);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		desc.name = names[i];
		desc.protected_by = names[i];
		/* Firewalled memory is no-map, and never touched here. */
		desc.no_map = !i;
		desc.base = test_region(test, desc.size);
		vaddr = phys_to_virt(desc.base);
		memset(vaddr, 0xa5, desc.size);
		dmabuf = alloc_from(declare_heap(test, &desc), desc.size);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
		KUNIT_EXPECT_EQ(test, protect_log.protects, i + 1);
		/* Left as it was behind the firewall; zeroed otherwise. */
		KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, i ? 0 : 0xa5,
						   desc.size));
		put_and_flush(dmabuf);
	}
}

static struct kunit_case dma_heap_types_cases[] = {
	KUNIT_CASE(chunk_pool_recycles_zeroed_chunks),
	KUNIT_CASE(system_small_buffers_bypass_the_pool),
	KUNIT_CASE(system_pool_recycles_zeroed_blocks),
	KUNIT_CASE(type_unregistered_under_live_buffer),
	KUNIT_CASE(declare_twice_makes_one_heap),
	KUNIT_CASE(carveout_redeclared_waits_for_old_buffers),
	KUNIT_CASE(carveout_outside_ram_is_refused),
	KUNIT_CASE(carveout_over_a_live_carveout_is_refused),
	KUNIT_CASE(exporter_maps_unmapped_memory_in_place),
	KUNIT_CASE(carveout_allocates_until_full),
	KUNIT_CASE(carveout_full_is_forgotten_on_release),
	KUNIT_CASE(carveout_needs_a_static_region),
	KUNIT_CASE(chunk_buffers_are_aligned_chunks),
	KUNIT_CASE(chunk_heap_runs_out_cleanly),
	KUNIT_CASE_PARAM(chunk_heap_refuses_bad_chunk_size,
			 chunk_size_gen_params),
	KUNIT_CASE(cma_buffers_are_contiguous),
	KUNIT_CASE(defaults_are_newest_mainline_cma_heaps),
	KUNIT_CASE(fallback_follows_the_chain),
	KUNIT_CASE(fallback_loop_is_bounded),
	KUNIT_CASE_PARAM(exporter_syncs_cached_buffers_only,
			 uncached_gen_params),
	KUNIT_CASE_PARAM(exporter_refuses_to_bounce_uncached_buffers,
			 uncached_gen_params),
	KUNIT_CASE_PARAM(uncached_heaps_clean_what_they_hand_out,
			 clean_gen_params),
	KUNIT_CASE(uncached_fallback_is_cleaned),
	KUNIT_CASE_PARAM(fallback_keeps_to_one_kind, uncached_gen_params),
	KUNIT_CASE(uncached_needs_a_type_that_can),
	KUNIT_CASE(protected_buffers_are_never_mapped_for_the_cpu),
	KUNIT_CASE(failed_protection_hands_nothing_out),
	KUNIT_CASE(protected_fallback_stays_protected),
	KUNIT_CASE(protected_never_falls_back_to_unprotected),
	KUNIT_CASE_PARAM(protection_refuses_what_it_cannot_serve,
			 protect_refusal_gen_params),
	KUNIT_CASE(protected_heap_comes_and_goes_with_its_protector),
	KUNIT_CASE(linear_map_protector_unmaps_live_buffers),
	KUNIT_CASE(firewalled_memory_is_never_written),
	KUNIT_CASE(io_memory_buffers_are_described_by_address),
	KUNIT_CASE(region_check_fits_the_type),
	{}
};

static struct kunit_suite dma_heap_types_suite = {
	.name = "dma-heap-types",
	.test_cases = dma_heap_types_cases,
};

kunit_test_suites(&dma_heap_of_suite, &dma_heap_types_suite);

MODULE_DESCRIPTION("KUnit tests for device tree declared DMA-BUF heaps");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
