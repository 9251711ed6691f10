// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DMA-BUF heaps core, the registry's fallback chains
 * and lifetimes, the shared exporter and the system heap.
 *
 * The core is driven through a small test heap whose allocate op records
 * what it was asked for, so the tests can tell what the core let through;
 * the registry through a test heap type that records the same. The
 * exporter and the system heap are driven through real allocations,
 * checked from the kernel side (vmap, attach and map for a device).
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/iosys-map.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../heap-internal.h"

/*
 * Records of the test heap: what the core passed down, and releases;
 * and how its allocations fail: with @error (-ENOMEM when 0), as a full
 * heap unless @not_full. With @entered set, an allocation completes it
 * and waits for @leave first.
 */
struct test_heap_log {
	unsigned int allocations;
	unsigned long last_len;
	unsigned int releases;
	int error;
	bool not_full;
	struct completion *entered;
	struct completion *leave;
};

static struct dma_buf *test_log_allocate(struct dma_heap *heap,
					 struct test_heap_log *log,
					 unsigned long len)
{
	log->allocations++;
	log->last_len = len;
	if (log->entered) {
		complete(log->entered);
		wait_for_completion(log->leave);
	}
	if (log->not_full)
		dma_heap_forget_full(heap);
	return ERR_PTR(log->error ?: -ENOMEM);
}

static struct dma_buf *test_heap_allocate(struct dma_heap *heap,
					  unsigned long len, u32 fd_flags,
					  u64 heap_flags)
{
	return test_log_allocate(heap, dma_heap_get_drvdata(heap), len);
}

static void test_heap_release(struct dma_heap *heap)
{
	struct test_heap_log *log = dma_heap_get_drvdata(heap);

	log->releases++;
}

static const struct dma_heap_ops test_heap_ops = {
	.allocate = test_heap_allocate,
	.release = test_heap_release,
};

static struct dma_heap *test_heap_add(struct kunit *test, const char *name,
				      struct test_heap_log *log)
{
	struct dma_heap_export_info info = {
		.name = name,
		.ops = &test_heap_ops,
		.priv = log,
	};
	struct dma_heap *heap = dma_heap_add(&info);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, heap);
	return heap;
}

struct bad_name_case {
	const char *desc;
	const char *name;
};

static const struct bad_name_case bad_name_cases[] = {
	{ "NULL", NULL },
	{ "empty", "" },
	{ "slash", "a/b" },
	{ "dot", "." },
	{ "dotdot", ".." },
	{ "dot file", ".hidden" },
	{ "uppercase", "System" },
	{ "space", "a b" },
	{ "Latin-1 letter", "caf\xe9" },
	{ "Latin-1 first", "\xdfx" },
	{ "64 characters",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
};

static void bad_name_desc(const struct bad_name_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_name, bad_name_cases, bad_name_desc);

static void core_add_rejects_bad_name(struct kunit *test)
{
	const struct bad_name_case *c = test->param_value;
	struct dma_heap_export_info info = {
		.name = c->name,
		.ops = &test_heap_ops,
	};

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
}

/* Names mainline itself creates, and the longest name there can be. */
static const char * const good_names[] = {
	"system", "default_cma_region", "linux,cma", "reserved",
	"video@42000000", "protected,secure-video", "cma-1.5+x", "0video",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static void good_name_desc(const char * const *name, char *desc)
{
	strscpy(desc, *name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(good_name, good_names, good_name_desc);

static void core_name_rule_takes_mainline_names(struct kunit *test)
{
	const char * const *name = test->param_value;

	KUNIT_EXPECT_TRUE(test, dma_heap_name_valid(*name));
}

static void core_add_rejects_missing_allocate(struct kunit *test)
{
	static const struct dma_heap_ops no_allocate = {};
	struct dma_heap_export_info info = { .name = "kunit-noalloc" };

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	info.ops = &no_allocate;
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	KUNIT_EXPECT_NULL(test, dma_heap_find("kunit-noalloc"));
}

static void core_add_rejects_duplicate_name(struct kunit *test)
{
	struct test_heap_log log = {}, dup_log = {};
	struct dma_heap_export_info info = {
		.name = "kunit-dup",
		.ops = &test_heap_ops,
		.priv = &dup_log,
	};
	struct dma_heap *heap = test_heap_add(test, "kunit-dup", &log);

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EEXIST);
	/* The failed duplicate must not have called its owner's release. */
	KUNIT_EXPECT_EQ(test, dup_log.releases, 0);

	dma_heap_remove(heap);
	KUNIT_EXPECT_EQ(test, log.releases, 1);
}

/*
 * With every minor of the char device region in use, the next heap gets
 * -ENOSPC (as documented; xa_alloc() itself says -EBUSY), and nothing of
 * it is left. The test adds heaps until that happens.
 */
static void core_add_without_a_free_minor_is_enospc(struct kunit *test)
{
	struct test_heap_log *log = kunit_kzalloc(test, sizeof(*log),
						  GFP_KERNEL);
	struct dma_heap_export_info info = {
		.ops = &test_heap_ops,
		.priv = log,
	};
	struct dma_heap **heaps = kunit_kcalloc(test, 256, sizeof(*heaps),
					       GFP_KERNEL);
	struct dma_heap *heap = NULL;
	unsigned int added;
	char name[32];
	int n;

	KUNIT_ASSERT_NOT_NULL(test, log);
	KUNIT_ASSERT_NOT_NULL(test, heaps);
	for (n = 0; n < 256; n++) {
		snprintf(name, sizeof(name), "kunit-minor-%d", n);
		info.name = name;
		heap = dma_heap_add(&info);
		if (IS_ERR(heap))
			break;
		heaps[n] = heap;
	}
	added = n;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(heap), -ENOSPC);
	KUNIT_EXPECT_GT(test, added, 0);
	KUNIT_EXPECT_NULL(test, dma_heap_find(name));
	while (n--)
		dma_heap_remove(heaps[n]);
	/* Only the heaps that were added had anything to release. */
	KUNIT_EXPECT_EQ(test, log->releases, added);
}

static void core_find_follows_registration(struct kunit *test)
{
	struct test_heap_log log = {};
	struct dma_heap *heap = test_heap_add(test, "kunit-find", &log);
	struct dma_heap *found = dma_heap_find("kunit-find");

	KUNIT_EXPECT_PTR_EQ(test, found, heap);
	KUNIT_EXPECT_STREQ(test, dma_heap_get_name(heap), "kunit-find");
	KUNIT_EXPECT_PTR_EQ(test, dma_heap_get_drvdata(heap), (void *)&log);
	dma_heap_put(found);

	dma_heap_remove(heap);
	KUNIT_EXPECT_NULL(test, dma_heap_find("kunit-find"));
}

static void core_remove_waits_for_last_reference(struct kunit *test)
{
	struct test_heap_log log = {};
	struct dma_heap *heap = test_heap_add(test, "kunit-ref", &log);
	struct dma_heap *ref = dma_heap_find("kunit-ref");

	KUNIT_ASSERT_NOT_NULL(test, ref);
	dma_heap_remove(heap);
	KUNIT_EXPECT_EQ(test, log.releases, 0);

	/* A removed heap takes no new allocations. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(ref, SZ_4K,
							    O_RDWR, 0)),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, log.allocations, 0);

	dma_heap_put(ref);
	KUNIT_EXPECT_EQ(test, log.releases, 1);
}

struct bad_alloc_case {
	const char *desc;
	size_t len;
	u32 fd_flags;
	u64 heap_flags;
};

static const struct bad_alloc_case bad_alloc_cases[] = {
	{ "zero length", 0, O_RDWR, 0 },
	{ "length wraps when page aligned", SIZE_MAX, O_RDWR, 0 },
	{ "fd_flags O_NONBLOCK", SZ_4K, O_RDWR | O_NONBLOCK, 0 },
	{ "fd_flags O_CREAT", SZ_4K, O_CREAT, 0 },
	{ "heap_flags bit 0", SZ_4K, O_RDWR, 1 },
	{ "heap_flags bit 63", SZ_4K, O_RDWR, BIT_ULL(63) },
};

static void bad_alloc_desc(const struct bad_alloc_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_alloc, bad_alloc_cases, bad_alloc_desc);

static void core_alloc_rejects_bad_arguments(struct kunit *test)
{
	const struct bad_alloc_case *c = test->param_value;
	struct test_heap_log log = {};
	struct dma_heap *heap = test_heap_add(test, "kunit-badalloc", &log);
	struct dma_buf *dmabuf;

	dmabuf = dma_heap_buffer_alloc(heap, c->len, c->fd_flags,
				       c->heap_flags);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dmabuf), -EINVAL);
	KUNIT_EXPECT_EQ(test, log.allocations, 0);
	dma_heap_remove(heap);
}

static void core_alloc_rounds_up_to_pages(struct kunit *test)
{
	struct test_heap_log log = {};
	struct dma_heap *heap = test_heap_add(test, "kunit-align", &log);

	dma_heap_buffer_alloc(heap, 1, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, log.last_len, PAGE_SIZE);
	dma_heap_buffer_alloc(heap, PAGE_SIZE + 1, O_RDWR | O_CLOEXEC, 0);
	KUNIT_EXPECT_EQ(test, log.last_len, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, log.allocations, 2);
	dma_heap_remove(heap);
}

/*
 * The last user of a heap runs its release before dma_heap_put() returns,
 * not from the device's release, which may come much later: any holder
 * of the device can delay it, and CONFIG_DEBUG_KOBJECT_RELEASE delays
 * every one by seconds (by then the module providing the release may be
 * gone). The test holds the device itself, so a release run from there
 * would not have happened yet.
 */
static void core_last_user_releases_at_once(struct kunit *test)
{
	struct test_heap_log log = {};
	struct dma_heap *heap = test_heap_add(test, "kunit-last", &log);
	struct dma_heap *found = dma_heap_find("kunit-last");
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, found);
	dev = get_device(dma_heap_get_dev(heap));
	dma_heap_remove(heap);
	KUNIT_EXPECT_EQ(test, log.releases, 0);
	dma_heap_put(found);
	KUNIT_EXPECT_EQ(test, log.releases, 1);
	put_device(dev);
	KUNIT_EXPECT_EQ(test, log.releases, 1);
}

static struct kunit_case dma_heap_core_cases[] = {
	KUNIT_CASE_PARAM(core_add_rejects_bad_name, bad_name_gen_params),
	KUNIT_CASE_PARAM(core_name_rule_takes_mainline_names,
			 good_name_gen_params),
	KUNIT_CASE(core_add_rejects_missing_allocate),
	KUNIT_CASE(core_add_rejects_duplicate_name),
	KUNIT_CASE(core_add_without_a_free_minor_is_enospc),
	KUNIT_CASE(core_find_follows_registration),
	KUNIT_CASE(core_remove_waits_for_last_reference),
	KUNIT_CASE_PARAM(core_alloc_rejects_bad_arguments,
			 bad_alloc_gen_params),
	KUNIT_CASE(core_alloc_rounds_up_to_pages),
	KUNIT_CASE(core_last_user_releases_at_once),
	{}
};

static struct kunit_suite dma_heap_core_suite = {
	.name = "dma-heap-core",
	.test_cases = dma_heap_core_cases,
};

/*
 * Heaps the registry makes, of a test type whose create op takes the
 * log named like the heap from reg_logs[], and whose destroy op counts
 * in it. Exclusive and shared (not exclusive) variants.
 */
#define REG_COMPATIBLE		"test,dma-heap-log"
#define REG_COMPATIBLE_EXCL	"test,dma-heap-log-exclusive"
#define REG_COMPATIBLE_NONE	"test,dma-heap-nobody"

static struct {
	const char *name;
	struct test_heap_log *log;
} reg_logs[4];

static void *reg_create(const struct dma_heap_desc *desc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_logs); i++)
		if (reg_logs[i].name && !strcmp(reg_logs[i].name, desc->name))
			return reg_logs[i].log;
	return ERR_PTR(-EINVAL);
}

static void reg_destroy(void *priv)
{
	struct test_heap_log *log = priv;

	log->releases++;
}

static struct dma_buf *reg_allocate(struct dma_heap *heap,
				    struct dma_heap_instance *inst,
				    unsigned long len, u32 fd_flags)
{
	return test_log_allocate(heap, inst->priv, len);
}

static struct dma_heap_type reg_type = {
	.name = "kunit-log",
	.compatible = REG_COMPATIBLE,
	.owner = THIS_MODULE,
	.create = reg_create,
	.destroy = reg_destroy,
	.allocate = reg_allocate,
};

static struct dma_heap_type reg_type_exclusive = {
	.name = "kunit-log-exclusive",
	.compatible = REG_COMPATIBLE_EXCL,
	.owner = THIS_MODULE,
	.create = reg_create,
	.destroy = reg_destroy,
	.allocate = reg_allocate,
	.exclusive = true,
};

/*
 * Logs of the registry's heaps outlive the test function: a heap left
 * declared when a test fails is destroyed by registry_test_exit().
 */
static struct test_heap_log *new_log(struct kunit *test)
{
	struct test_heap_log *log = kunit_kzalloc(test, sizeof(*log),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, log);
	return log;
}

static int registry_suite_init(struct kunit_suite *suite)
{
	int ret = dma_heap_type_register(&reg_type);

	if (!ret)
		ret = dma_heap_type_register(&reg_type_exclusive);
	return ret;
}

static void registry_suite_exit(struct kunit_suite *suite)
{
	dma_heap_type_unregister(&reg_type_exclusive);
	dma_heap_type_unregister(&reg_type);
}

static void registry_test_exit(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_logs); i++) {
		if (reg_logs[i].name)
			dma_heap_undeclare(reg_logs[i].name);
		reg_logs[i].name = NULL;
	}
}

/*
 * Declare a heap of the test type with @log, and return it found (a
 * user: dma_heap_put() it before looking at releases).
 */
static struct dma_heap *reg_declare(struct kunit *test, const char *name,
				    const char *fallback, bool exclusive,
				    struct test_heap_log *log)
{
	struct dma_heap_desc desc = {
		.name = name,
		.compatible = exclusive ? REG_COMPATIBLE_EXCL : REG_COMPATIBLE,
		.fallback = fallback,
	};
	struct dma_heap *heap;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_logs) && reg_logs[i].name; i++)
		if (!strcmp(reg_logs[i].name, name))
			break;
	KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(reg_logs));
	reg_logs[i].name = name;
	reg_logs[i].log = log;
	KUNIT_ASSERT_EQ(test, dma_heap_declare(&desc), 0);
	heap = dma_heap_find(name);
	KUNIT_ASSERT_NOT_NULL(test, heap);
	return heap;
}

static struct dma_buf *alloc_4k(struct dma_heap *heap)
{
	return dma_heap_buffer_alloc(heap, SZ_4K, O_RDWR, 0);
}

/*
 * An exclusive heap that ran out of memory is not asked again for as
 * much or more until one of its buffers is released (this test heap
 * never has any); smaller requests, and heaps that are not exclusive,
 * are asked every time.
 */
static void registry_exclusive_heap_is_not_asked_again_when_full(struct kunit *test)
{
	struct test_heap_log *log = new_log(test), *shared_log = new_log(test);
	struct dma_heap *heap, *shared;

	heap = reg_declare(test, "kunit-exclusive", NULL, true, log);
	shared = reg_declare(test, "kunit-shared", NULL, false, shared_log);

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(heap, SZ_64K,
							    O_RDWR, 0)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(heap, SZ_64K,
							    O_RDWR, 0)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(heap, SZ_1M,
							    O_RDWR, 0)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, log->allocations, 1);

	/* Smaller: may fit; asked, and then remembered in turn. */
	alloc_4k(heap);
	dma_heap_buffer_alloc(heap, SZ_16K, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, log->allocations, 2);
	KUNIT_EXPECT_EQ(test, log->last_len, SZ_4K);

	dma_heap_buffer_alloc(shared, SZ_64K, O_RDWR, 0);
	dma_heap_buffer_alloc(shared, SZ_64K, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, shared_log->allocations, 2);
	dma_heap_put(shared);
	dma_heap_put(heap);
}

/*
 * An exclusive heap that fails without being full (its own kmalloc()
 * failed) says so, and is asked again; one that is full is not, until
 * it says it has room again.
 */
static void registry_exclusive_heap_not_full_is_asked_again(struct kunit *test)
{
	struct test_heap_log *log = new_log(test);
	struct dma_heap *heap;

	log->not_full = true;
	heap = reg_declare(test, "kunit-not-full", NULL, true, log);
	dma_heap_buffer_alloc(heap, SZ_64K, O_RDWR, 0);
	dma_heap_buffer_alloc(heap, SZ_64K, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, log->allocations, 2);

	log->not_full = false;
	dma_heap_buffer_alloc(heap, SZ_64K, O_RDWR, 0);
	dma_heap_buffer_alloc(heap, SZ_64K, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, log->allocations, 3);

	/* Memory given back other than by a release: asked again. */
	dma_heap_forget_full(heap);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(heap, SZ_64K,
							    O_RDWR, 0)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, log->allocations, 4);
	dma_heap_put(heap);
}

/*
 * The fallback link is made and broken with the fallback heap's
 * declaration, in either order, and a heap declared again under the
 * same name is picked up.
 */
static void registry_fallback_follows_declaration(struct kunit *test)
{
	struct test_heap_log *full_log = new_log(test), *fb_log = new_log(test);
	struct test_heap_log *fb2_log = new_log(test);
	struct dma_heap *full, *fb;

	full = reg_declare(test, "kunit-link-full", "kunit-link-fb", false,
			   full_log);

	/* The fallback heap does not exist yet: the chain ends. */
	alloc_4k(full);
	KUNIT_EXPECT_EQ(test, full_log->allocations, 1);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(full), 0);

	fb = reg_declare(test, "kunit-link-fb", NULL, false, fb_log);
	dma_heap_put(fb);
	alloc_4k(full);
	KUNIT_EXPECT_EQ(test, fb_log->allocations, 1);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(full), 1);

	/* Removed: no longer tried, and released despite the link. */
	dma_heap_undeclare("kunit-link-fb");
	KUNIT_EXPECT_EQ(test, fb_log->releases, 1);
	alloc_4k(full);
	KUNIT_EXPECT_EQ(test, fb_log->allocations, 1);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(full), 1);

	/* Declared again: found again. */
	fb = reg_declare(test, "kunit-link-fb", NULL, false, fb2_log);
	dma_heap_put(fb);
	alloc_4k(full);
	KUNIT_EXPECT_EQ(test, fb2_log->allocations, 1);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(full), 2);
	KUNIT_EXPECT_EQ(test, full_log->allocations, 4);
	dma_heap_put(full);
}

struct fallback_error_case {
	const char *desc;
	int error;	/* what the fallback heap fails with */
	int expected;	/* what the allocation returns */
};

static const struct fallback_error_case fallback_error_cases[] = {
	{ "fallback removed (-ENODEV)", -ENODEV, -ENOMEM },
	{ "fallback module unloading (-ENOENT)", -ENOENT, -ENOMEM },
	{ "fallback killed (-EINTR)", -EINTR, -EINTR },
	{ "fallback bad argument (-EINVAL)", -EINVAL, -EINVAL },
};

static void fallback_error_desc(const struct fallback_error_case *c,
				char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fallback_error, fallback_error_cases, fallback_error_desc);

/*
 * A fallback heap that is going away ends the chain like a missing one:
 * the caller learns that the heap it asked is full, not that some other
 * heap is gone. Other errors of the fallback heap are final, as they are.
 */
static void registry_fallback_going_away_ends_chain(struct kunit *test)
{
	const struct fallback_error_case *c = test->param_value;
	struct test_heap_log *full_log = new_log(test), *fb_log = new_log(test);
	struct test_heap_log *last_log = new_log(test);
	struct dma_heap *full, *fb, *last;

	fb_log->error = c->error;
	full = reg_declare(test, "kunit-gone-full", "kunit-gone-fb", false,
			   full_log);
	fb = reg_declare(test, "kunit-gone-fb", "kunit-gone-last", false,
			 fb_log);
	last = reg_declare(test, "kunit-gone-last", NULL, false, last_log);

	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_4k(full)), c->expected);
	KUNIT_EXPECT_EQ(test, fb_log->allocations, 1);
	/* The chain ended there, whatever the error. */
	KUNIT_EXPECT_EQ(test, last_log->allocations, 0);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(full), 1);
	KUNIT_EXPECT_EQ(test, dma_heap_fallback_count(fb), 0);

	/* Asked directly, the fallback heap's own error is the answer. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_4k(fb)), c->error);
	dma_heap_put(last);
	dma_heap_put(fb);
	dma_heap_put(full);
}

struct removal_race {
	struct dma_heap *heap;
	struct completion done;
	const char *name;
};

static int removal_race_alloc(void *data)
{
	struct removal_race *r = data;

	alloc_4k(r->heap);
	complete(&r->done);
	return 0;
}

static int removal_race_undeclare(void *data)
{
	struct removal_race *r = data;

	dma_heap_undeclare(r->name);
	complete(&r->done);
	return 0;
}

static int removal_race_declare(void *data)
{
	struct removal_race *r = data;
	struct dma_heap_desc desc = {
		.name = r->name,
		.compatible = REG_COMPATIBLE_NONE,
	};

	dma_heap_declare(&desc);
	complete(&r->done);
	return 0;
}

/*
 * Start an allocation on @alloc's heap, wait until it is inside the heap
 * (its log completes @entered), then start undeclaring @undeclare's.
 */
static void start_removal_race(struct kunit *test, struct removal_race *alloc,
			       struct removal_race *undeclare,
			       struct completion *entered)
{
	init_completion(&alloc->done);
	init_completion(&undeclare->done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(removal_race_alloc, alloc,
						    "kunit-alloc")));
	wait_for_completion(entered);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(removal_race_undeclare,
						    undeclare,
						    "kunit-undeclare")));
}

/*
 * Removing a heap waits for the allocations passing through it on a
 * fallback chain, but not while holding the registry: meanwhile other
 * heaps can still be declared.
 */
static void registry_removal_waits_without_the_lock(struct kunit *test)
{
	DECLARE_COMPLETION_ONSTACK(entered);
	DECLARE_COMPLETION_ONSTACK(leave);
	struct test_heap_log *full_log = new_log(test), *fb_log = new_log(test);
	struct removal_race alloc = {}, undeclare = {
		.name = "kunit-race-fb",
	}, declare = { .name = "kunit-race-other" };
	bool declared, removed;

	fb_log->entered = &entered;
	fb_log->leave = &leave;
	alloc.heap = reg_declare(test, "kunit-race-full", "kunit-race-fb",
				 false, full_log);
	dma_heap_put(reg_declare(test, "kunit-race-fb", NULL, false, fb_log));
	init_completion(&declare.done);

	/* An allocation is inside the fallback heap, and stays there. */
	start_removal_race(test, &alloc, &undeclare, &entered);
	msleep(50);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(removal_race_declare,
						    &declare, "kunit-declare")));
	declared = wait_for_completion_timeout(&declare.done, HZ);
	removed = completion_done(&undeclare.done);

	complete(&leave);
	wait_for_completion(&alloc.done);
	wait_for_completion(&undeclare.done);
	/* A wait that succeeded took the completion's one "done". */
	if (!declared)
		wait_for_completion(&declare.done);
	dma_heap_undeclare(declare.name);
	dma_heap_put(alloc.heap);

	KUNIT_EXPECT_TRUE(test, declared);
	/* The removal did wait for the allocation to leave. */
	KUNIT_EXPECT_FALSE(test, removed);
	KUNIT_EXPECT_EQ(test, fb_log->allocations, 1);
	KUNIT_EXPECT_EQ(test, fb_log->releases, 1);
}

/*
 * An allocation on the heap asked, not only on its fallback heaps, keeps
 * the heap's removal waiting: a protector's module, whose protector the
 * allocation may be using, goes only after the removal returns.
 */
static void registry_removal_waits_for_direct_allocations(struct kunit *test)
{
	DECLARE_COMPLETION_ONSTACK(entered);
	DECLARE_COMPLETION_ONSTACK(leave);
	struct test_heap_log *log = new_log(test);
	struct removal_race alloc = {}, undeclare = {
		.name = "kunit-race-direct",
	};
	bool removed_early;

	log->entered = &entered;
	log->leave = &leave;
	alloc.heap = reg_declare(test, undeclare.name, NULL, false, log);

	/* An allocation is inside the heap itself, and stays there. */
	start_removal_race(test, &alloc, &undeclare, &entered);
	removed_early = wait_for_completion_timeout(&undeclare.done,
						    msecs_to_jiffies(100));

	complete(&leave);
	wait_for_completion(&alloc.done);
	if (!removed_early)
		wait_for_completion(&undeclare.done);

	/* Removed now: a new allocation is refused without asking it. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_4k(alloc.heap)), -ENODEV);
	dma_heap_put(alloc.heap);

	KUNIT_EXPECT_FALSE(test, removed_early);
	KUNIT_EXPECT_EQ(test, log->allocations, 1);
	KUNIT_EXPECT_EQ(test, log->releases, 1);
}

/* Undeclared while found: destroyed when the last user goes, at once. */
static void registry_destroy_runs_with_the_last_user(struct kunit *test)
{
	struct test_heap_log *log = new_log(test);
	struct dma_heap *heap;

	heap = reg_declare(test, "kunit-destroy", NULL, false, log);
	dma_heap_undeclare("kunit-destroy");
	KUNIT_EXPECT_EQ(test, log->releases, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(alloc_4k(heap)), -ENODEV);
	dma_heap_put(heap);
	KUNIT_EXPECT_EQ(test, log->releases, 1);

	/* Without users, removal itself destroys it. */
	dma_heap_put(reg_declare(test, "kunit-destroy", NULL, false, log));
	dma_heap_undeclare("kunit-destroy");
	KUNIT_EXPECT_EQ(test, log->releases, 2);
}

/*
 * The core is the one registry of names: a taken name gets no heap, until
 * the heap that has it goes, even one a driver registered on its own.
 */
static void registry_taken_name_gets_no_heap(struct kunit *test)
{
	struct test_heap_log *log = new_log(test), core_log = {};
	struct dma_heap *core_heap = test_heap_add(test, "kunit-taken",
						   &core_log);
	struct dma_heap_desc desc = {
		.name = "kunit-taken",
		.compatible = REG_COMPATIBLE,
	};
	struct dma_heap *found;

	reg_logs[0].name = "kunit-taken";
	reg_logs[0].log = log;
	KUNIT_EXPECT_EQ(test, dma_heap_declare(&desc), 0);
	found = dma_heap_find("kunit-taken");
	KUNIT_EXPECT_PTR_EQ(test, found, core_heap);
	/* Created and destroyed again, without a trace. */
	KUNIT_EXPECT_EQ(test, log->releases, 1);
	if (found)
		dma_heap_put(found);

	/* The driver's heap goes: the declared one takes the name. */
	dma_heap_remove(core_heap);
	dma_heap_registry_flush();
	found = dma_heap_find("kunit-taken");
	KUNIT_ASSERT_NOT_NULL(test, found);
	KUNIT_EXPECT_PTR_NE(test, dma_heap_get_drvdata(found),
			    (void *)&core_log);
	KUNIT_EXPECT_EQ(test, log->releases, 1);
	dma_heap_put(found);
}

static struct kunit_case dma_heap_registry_cases[] = {
	KUNIT_CASE(registry_exclusive_heap_is_not_asked_again_when_full),
	KUNIT_CASE(registry_exclusive_heap_not_full_is_asked_again),
	KUNIT_CASE(registry_fallback_follows_declaration),
	KUNIT_CASE_PARAM(registry_fallback_going_away_ends_chain,
			 fallback_error_gen_params),
	KUNIT_CASE(registry_removal_waits_without_the_lock),
	KUNIT_CASE(registry_removal_waits_for_direct_allocations),
	KUNIT_CASE(registry_destroy_runs_with_the_last_user),
	KUNIT_CASE(registry_taken_name_gets_no_heap),
	{}
};

static struct kunit_suite dma_heap_registry_suite = {
	.name = "dma-heap-registry",
	.suite_init = registry_suite_init,
	.suite_exit = registry_suite_exit,
	.exit = registry_test_exit,
	.test_cases = dma_heap_registry_cases,
};

/* System heap and exporter tests: the heap is found once per test. */
static int system_heap_test_init(struct kunit *test)
{
	struct dma_heap *heap = dma_heap_find("system");

	KUNIT_ASSERT_NOT_NULL(test, heap);
	test->priv = heap;
	return 0;
}

static void system_heap_test_exit(struct kunit *test)
{
	dma_heap_put(test->priv);
}

static struct dma_buf *system_alloc(struct kunit *test, size_t len)
{
	struct dma_buf *dmabuf;

	dmabuf = dma_heap_buffer_alloc(test->priv, len, O_RDWR, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	return dmabuf;
}

/*
 * A test runs in a kernel thread, where the last fput() of a dma-buf is
 * deferred to a workqueue; flush it so the buffer is really gone when a
 * test looks at what its release did.
 */
static void put_and_flush(struct dma_buf *dmabuf)
{
	dma_heap_buffer_free(dmabuf);
	flush_delayed_fput();
}

static void *vmap_checked(struct kunit *test, struct dma_buf *dmabuf,
			  struct iosys_map *map)
{
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, map), 0);
	KUNIT_ASSERT_FALSE(test, map->is_iomem);
	return map->vaddr;
}

static const size_t system_sizes[] = {
	1, SZ_4K, SZ_8K, SZ_64K, SZ_64K + SZ_4K, SZ_1M, SZ_1M + 3,
	SZ_1M + SZ_64K + SZ_4K, SZ_8M,
};

static void system_size_desc(const size_t *len, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *len);
}

KUNIT_ARRAY_PARAM(system_size, system_sizes, system_size_desc);

static void system_alloc_is_zeroed_and_sized(struct kunit *test)
{
	size_t len = *(const size_t *)test->param_value;
	struct dma_buf *dmabuf = system_alloc(test, len);
	struct iosys_map map;
	void *vaddr;

	KUNIT_EXPECT_EQ(test, dmabuf->size, PAGE_ALIGN(len));
	KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, "system");

	vaddr = vmap_checked(test, dmabuf, &map);
	KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, dmabuf->size));
	dma_buf_vunmap_unlocked(dmabuf, &map);
	dma_buf_put(dmabuf);
}

static void system_alloc_uses_largest_blocks_first(struct kunit *test)
{
	struct dma_buf *dmabuf = system_alloc(test, SZ_1M + SZ_64K + SZ_4K);
	struct dma_heap_buffer *buffer = dmabuf->priv;
	unsigned int prev = UINT_MAX;
	struct scatterlist *sg;
	size_t total = 0;
	unsigned int i;

	for_each_sgtable_sg(&buffer->sgt, sg, i) {
		bool block_size = sg->length == SZ_1M ||
				  sg->length == SZ_64K ||
				  sg->length == PAGE_SIZE;

		KUNIT_EXPECT_TRUE(test, block_size);
		KUNIT_EXPECT_LE(test, sg->length, prev);
		prev = sg->length;
		total += sg->length;
	}
	KUNIT_EXPECT_EQ(test, total, dmabuf->size);
	dma_buf_put(dmabuf);
}

/*
 * A contiguous range of 4 GiB or more is more than one entry can say (its
 * length is 32-bit): it gets entries of 2 GiB, each starting where the
 * last ended, adding up to the range. A shorter one is one entry in the
 * buffer. The pages are only described, never touched.
 */
static void exporter_long_range_is_cut_into_entries(struct kunit *test)
{
	struct dma_heap_buffer *tb = kunit_kzalloc(test, sizeof(*tb),
						   GFP_KERNEL);
	const u64 len = SZ_4G + SZ_1G + PAGE_SIZE;
	struct scatterlist *sg;
	struct page *first;
	u64 offset = 0;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_64BIT) || !IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP))
		kunit_skip(test, "describes 5 GiB of struct pages past RAM");
	first = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tb);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_EQ(test, dma_heap_buffer_alloc_range_sgt(tb, first, 0),
			-EINVAL);

	KUNIT_ASSERT_EQ(test, dma_heap_buffer_alloc_range_sgt(tb, first, len), 0);
	KUNIT_EXPECT_EQ(test, tb->sgt.orig_nents, 3);
	for_each_sgtable_sg(&tb->sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, sg->length,
				i < 2 ? SZ_2G : SZ_1G + PAGE_SIZE);
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sg),
				    nth_page(first, offset >> PAGE_SHIFT));
		KUNIT_EXPECT_EQ(test, sg->offset, 0);
		offset += sg->length;
	}
	KUNIT_EXPECT_EQ(test, offset, len);
	dma_heap_buffer_free_sgt(tb);

	/* Memory without pages: lengths alone. */
	KUNIT_ASSERT_EQ(test, dma_heap_buffer_alloc_range_sgt(tb, NULL, SZ_4G),
			0);
	KUNIT_EXPECT_EQ(test, tb->sgt.orig_nents, 2);
	for_each_sgtable_sg(&tb->sgt, sg, i) {
		KUNIT_EXPECT_NULL(test, sg_page(sg));
		KUNIT_EXPECT_EQ(test, sg->length, SZ_2G);
	}
	dma_heap_buffer_free_sgt(tb);

	/* The longest range one entry can say: in the buffer. */
	KUNIT_ASSERT_EQ(test, dma_heap_buffer_alloc_range_sgt(tb, first,
							      SZ_4G - PAGE_SIZE),
			0);
	KUNIT_EXPECT_PTR_EQ(test, tb->sgt.sgl, &tb->first_sg);
	KUNIT_EXPECT_EQ(test, tb->sgt.sgl->length, SZ_4G - PAGE_SIZE);
	dma_heap_buffer_free_sgt(tb);
	__free_page(first);
}

/*
 * A one-block buffer's table is its own entry, in the buffer: no table
 * to allocate or free on the path of a small buffer. Larger tables are
 * allocated, and either kind is left empty when freed.
 */
static void exporter_one_block_table_lives_in_the_buffer(struct kunit *test)
{
	struct dma_heap_buffer *tb = kunit_kzalloc(test, sizeof(*tb),
						   GFP_KERNEL);
	struct dma_buf *small, *large;
	struct dma_heap_buffer *buffer;

	KUNIT_ASSERT_NOT_NULL(test, tb);
	KUNIT_EXPECT_EQ(test, dma_heap_buffer_alloc_sgt(tb, 0), -EINVAL);

	KUNIT_ASSERT_EQ(test, dma_heap_buffer_alloc_sgt(tb, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, tb->sgt.sgl, &tb->first_sg);
	KUNIT_EXPECT_EQ(test, tb->sgt.orig_nents, 1);
	KUNIT_EXPECT_TRUE(test, sg_is_last(tb->sgt.sgl));
	dma_heap_buffer_free_sgt(tb);
	KUNIT_EXPECT_NULL(test, tb->sgt.sgl);

	KUNIT_ASSERT_EQ(test, dma_heap_buffer_alloc_sgt(tb, 3), 0);
	KUNIT_EXPECT_PTR_NE(test, tb->sgt.sgl, &tb->first_sg);
	KUNIT_EXPECT_EQ(test, tb->sgt.orig_nents, 3);
	KUNIT_EXPECT_EQ(test, sg_nents(tb->sgt.sgl), 3);
	dma_heap_buffer_free_sgt(tb);
	KUNIT_EXPECT_NULL(test, tb->sgt.sgl);

	/*
	 * A one-page system buffer is one block; one of 1M and a page is at
	 * least two, however fragmented memory is.
	 */
	small = system_alloc(test, PAGE_SIZE);
	buffer = small->priv;
	KUNIT_EXPECT_PTR_EQ(test, buffer->sgt.sgl, &buffer->first_sg);
	KUNIT_EXPECT_EQ(test, buffer->sgt.sgl->length, PAGE_SIZE);
	large = system_alloc(test, SZ_1M + PAGE_SIZE);
	buffer = large->priv;
	KUNIT_EXPECT_PTR_NE(test, buffer->sgt.sgl, &buffer->first_sg);
	KUNIT_EXPECT_GT(test, buffer->sgt.orig_nents, 1);
	dma_buf_put(large);
	dma_buf_put(small);
}

static void system_alloc_recycled_memory_is_zeroed(struct kunit *test)
{
	struct iosys_map map;
	unsigned int round;

	/* Dirty and free buffers; whatever comes back must be clean. */
	for (round = 0; round < 8; round++) {
		struct dma_buf *dmabuf = system_alloc(test, SZ_1M);
		u8 *vaddr = vmap_checked(test, dmabuf, &map);

		KUNIT_EXPECT_NULL(test, memchr_inv(vaddr, 0, SZ_1M));
		memset(vaddr, 0xa5, SZ_1M);
		dma_buf_vunmap_unlocked(dmabuf, &map);
		put_and_flush(dmabuf);
	}
}

static void system_alloc_accounts_live_buffers(struct kunit *test)
{
	struct dma_heap *heap = test->priv;
	struct dma_buf *a, *b;
	u64 bytes, count;

	flush_delayed_fput();
	bytes = dma_heap_used_bytes(heap);
	count = dma_heap_buffer_count(heap);
	a = system_alloc(test, SZ_64K);
	b = system_alloc(test, SZ_1M);

	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes + SZ_1M + SZ_64K);
	KUNIT_EXPECT_EQ(test, dma_heap_buffer_count(heap), count + 2);
	put_and_flush(a);
	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes + SZ_1M);
	put_and_flush(b);
	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes);
	KUNIT_EXPECT_EQ(test, dma_heap_buffer_count(heap), count);
}

/* The Android-compatible call: a live descriptor for the same buffer. */
static void system_bufferfd_alloc_installs_a_dma_buf(struct kunit *test)
{
	struct dma_heap *heap = test->priv;
	u64 bytes = dma_heap_used_bytes(heap);
	struct dma_buf *dmabuf;
	int fd;

	KUNIT_EXPECT_EQ(test, dma_heap_bufferfd_alloc(heap, 0, O_RDWR, 0),
			-EINVAL);

	fd = dma_heap_bufferfd_alloc(heap, SZ_64K, O_RDWR | O_CLOEXEC, 0);
	KUNIT_ASSERT_GE(test, fd, 0);
	dmabuf = dma_buf_get(fd);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, dmabuf->size, SZ_64K);
	KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, dma_heap_get_name(heap));
	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes + SZ_64K);
	dma_buf_put(dmabuf);

	KUNIT_EXPECT_EQ(test, close_fd(fd), 0);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes);
	KUNIT_EXPECT_STREQ(test, dev_name(dma_heap_get_dev(heap)),
			   dma_heap_get_name(heap));
}

static void system_alloc_larger_than_memory_fails(struct kunit *test)
{
	struct dma_heap *heap = test->priv;
	u64 bytes = dma_heap_used_bytes(heap);
	size_t len = (totalram_pages() + 1) << PAGE_SHIFT;

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_buffer_alloc(heap, len,
							    O_RDWR, 0)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, dma_heap_used_bytes(heap), bytes);
}

static void exporter_vmap_is_shared_and_counted(struct kunit *test)
{
	struct dma_buf *dmabuf = system_alloc(test, SZ_64K);
	struct iosys_map m1, m2;
	u8 *v1 = vmap_checked(test, dmabuf, &m1);
	u8 *v2 = vmap_checked(test, dmabuf, &m2);

	KUNIT_EXPECT_PTR_EQ(test, v1, v2);
	/* A write through one mapping shows through the other. */
	v1[SZ_64K - 1] = 0x5a;
	KUNIT_EXPECT_EQ(test, v2[SZ_64K - 1], 0x5a);
	dma_buf_vunmap_unlocked(dmabuf, &m1);
	KUNIT_EXPECT_EQ(test, v2[0], 0);
	dma_buf_vunmap_unlocked(dmabuf, &m2);
	dma_buf_put(dmabuf);
}

static struct device *dma_capable_device(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "dma-heap-importer");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	return dev;
}

static void exporter_maps_for_a_device(struct kunit *test)
{
	struct dma_buf *dmabuf = system_alloc(test, SZ_1M + SZ_4K);
	struct device *dev = dma_capable_device(test);
	struct dma_buf_attachment *attach;
	struct scatterlist *sg;
	struct sg_table *sgt;
	size_t mapped = 0;
	unsigned int i;

	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	for_each_sgtable_dma_sg(sgt, sg, i)
		mapped += sg_dma_len(sg);
	KUNIT_EXPECT_EQ(test, mapped, dmabuf->size);

	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf,
						       DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf,
						     DMA_BIDIRECTIONAL), 0);

	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
}

static struct kunit_case dma_heap_system_cases[] = {
	KUNIT_CASE_PARAM(system_alloc_is_zeroed_and_sized,
			 system_size_gen_params),
	KUNIT_CASE(system_alloc_uses_largest_blocks_first),
	KUNIT_CASE(exporter_one_block_table_lives_in_the_buffer),
	KUNIT_CASE(exporter_long_range_is_cut_into_entries),
	KUNIT_CASE(system_alloc_recycled_memory_is_zeroed),
	KUNIT_CASE(system_alloc_accounts_live_buffers),
	KUNIT_CASE(system_alloc_larger_than_memory_fails),
	KUNIT_CASE(system_bufferfd_alloc_installs_a_dma_buf),
	KUNIT_CASE(exporter_vmap_is_shared_and_counted),
	KUNIT_CASE(exporter_maps_for_a_device),
	{}
};

static struct kunit_suite dma_heap_system_suite = {
	.name = "dma-heap-system",
	.init = system_heap_test_init,
	.exit = system_heap_test_exit,
	.test_cases = dma_heap_system_cases,
};

kunit_test_suites(&dma_heap_core_suite, &dma_heap_registry_suite,
		  &dma_heap_system_suite);

MODULE_DESCRIPTION("KUnit tests for DMA-BUF heaps");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
