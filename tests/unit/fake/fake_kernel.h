/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough of the kernel's headers to compile the pure-logic files of
 * dm-vmirror (region-map.c, state.c, args.c) as ordinary userspace C, so
 * that the unit tests run the real code under AddressSanitizer.
 * Locks are real (pthread mutexes), so a test may use threads.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <errno.h>
#include <linux/types.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef u64 sector_t;

#define U64_MAX UINT64_MAX
#define __packed __attribute__((__packed__))
#define BIT(n) (1UL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BITS_PER_LONG (sizeof(long) * 8)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define ____cacheline_aligned_in_smp
#define fallthrough __attribute__((__fallthrough__))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define min(a, b) ((a) < (b) ? (a) : (b))
#ifndef static_assert
#define static_assert(expr, ...) _Static_assert(expr, #expr)
#endif
#define DIV_ROUND_UP_ULL(n, d) (((n) + (d) - 1) / (d))
#define div_u64(n, d) ((uint64_t)(n) / (d))
/* The kernel's hash_64() (GOLDEN_RATIO_64, the generic version) */
static inline uint32_t hash_64(uint64_t val, unsigned int bits)
{
	return (uint32_t)((val * 0x61C8864680B583EBull) >> (64 - bits));
}
#define GFP_KERNEL 0
#define GFP_NOIO 0
#define GFP_NOWAIT 1
#define __GFP_NOWARN 0
#define __GFP_NORETRY 0
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

/* kstrto*(): digits only, an optional '+', one trailing newline. */
static inline int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / base)
			return -ERANGE;
		v = v * base + (*p - '0');
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*res = v;
	return 0;
}

static inline int kstrtou32(const char *s, unsigned int base, u32 *res)
{
	unsigned long long v;
	int r = kstrtoull(s, base, &v);

	if (r)
		return r;
	if (v > UINT_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

/* Memory */
static inline void *kzalloc(size_t n, int gfp) { (void)gfp; return calloc(1, n); }
/*
 * Allocations that may fail in the kernel (GFP_NOWAIT mempool, GFP_NOIO
 * kmalloc) fail while fake_alloc_fail is set; counted in fake_allocs.
 */
_Atomic int fake_alloc_fail __attribute__((weak));
_Atomic long fake_allocs __attribute__((weak));
static inline void *kmalloc(size_t n, int gfp)
{
	(void)gfp;
	if (fake_alloc_fail)
		return NULL;
	fake_allocs++;
	return malloc(n);
}
static inline void *kvzalloc(size_t n, int gfp) { (void)gfp; return calloc(1, n); }
static inline void *kvcalloc(size_t n, size_t sz, int gfp) { (void)gfp; return calloc(n ? n : 1, sz); }
static inline void kfree(const void *p) { free((void *)p); }
static inline void kvfree(const void *p) { free((void *)p); }

/* Locks */
typedef struct { pthread_mutex_t m; } spinlock_t;
/* Spinlocks taken so far, in every file of the test (one weak symbol). */
_Atomic unsigned long fake_spin_locks __attribute__((weak));
static inline void fake_spin_lock(spinlock_t *l)
{
	fake_spin_locks++;
	pthread_mutex_lock(&l->m);
}
static inline void spin_lock_init(spinlock_t *l) { pthread_mutex_init(&l->m, NULL); }
#define spin_lock_irqsave(l, f) do { (void)(f); fake_spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); pthread_mutex_unlock(&(l)->m); } while (0)
#define spin_lock_irq(l) fake_spin_lock(l)
#define spin_unlock_irq(l) pthread_mutex_unlock(&(l)->m)
/* Held by this test (tests are single-threaded where it is asserted). */
#define lockdep_assert_held(l) \
	do { if (pthread_mutex_trylock(&(l)->m) != EBUSY) abort(); } while (0)

/* Atomics */
typedef struct { _Atomic long long counter; } atomic64_t;
static inline long long atomic64_read(const atomic64_t *v) { return atomic_load((_Atomic long long *)&v->counter); }
static inline void atomic64_set(atomic64_t *v, long long i) { atomic_store(&v->counter, i); }
static inline void atomic64_inc(atomic64_t *v) { atomic_fetch_add(&v->counter, 1); }
static inline void atomic64_dec(atomic64_t *v) { atomic_fetch_sub(&v->counter, 1); }
static inline void atomic64_sub(long long i, atomic64_t *v) { atomic_fetch_sub(&v->counter, i); }
static inline long long atomic64_read_acquire(const atomic64_t *v) { return atomic_load_explicit((_Atomic long long *)&v->counter, memory_order_acquire); }
static inline void atomic64_set_release(atomic64_t *v, long long i) { atomic_store_explicit(&v->counter, i, memory_order_release); }


/* Scheduling: nothing to give way to in a test. */
static inline void cond_resched(void) { }
static inline void might_sleep(void) { }

/* Bitmaps */
static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	atomic_fetch_or((_Atomic unsigned long *)&addr[nr / BITS_PER_LONG],
			1UL << (nr % BITS_PER_LONG));
}

static inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	atomic_fetch_and((_Atomic unsigned long *)&addr[nr / BITS_PER_LONG],
			 ~(1UL << (nr % BITS_PER_LONG)));
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

static inline unsigned long find_next_zero_bit(const unsigned long *addr,
					       unsigned long size,
					       unsigned long offset)
{
	for (; offset < size; offset++)
		if (!test_bit(offset, addr))
			return offset;
	return size;
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	for (; offset < size; offset++)
		if (test_bit(offset, addr))
			return offset;
	return size;
}

static inline void bitmap_fill(unsigned long *dst, unsigned long nbits)
{
	unsigned long i;

	for (i = 0; i < nbits; i++)
		set_bit(i, dst);
}

static inline void bitmap_zero(unsigned long *dst, unsigned long nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_copy(unsigned long *dst, const unsigned long *src,
			       unsigned long nbits)
{
	memcpy(dst, src, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_or(unsigned long *dst, const unsigned long *a,
			     const unsigned long *b, unsigned long nbits)
{
	unsigned long i;

	for (i = 0; i < BITS_TO_LONGS(nbits); i++)
		dst[i] = a[i] | b[i];
}

/* Lists */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }

static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h) { __list_add(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { __list_add(n, h->prev, h); }

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	list_del_init(e);
	list_add_tail(e, h);
}

static inline bool list_empty(const struct list_head *h) { return h->next == h; }

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     &pos->member != (head); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

/* Hash lists */
struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

static inline void INIT_HLIST_HEAD(struct hlist_head *h) { h->first = NULL; }

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del(struct hlist_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

#define hlist_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____ptr = (ptr); \
	   ____ptr ? container_of(____ptr, type, member) : NULL; })
#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); \
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))
#define hlist_for_each_entry_safe(pos, n, head, member)			\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*pos), member); \
	     pos && ({ n = pos->member.next; 1; });			\
	     pos = hlist_entry_safe(n, __typeof__(*pos), member))

/* Mempools: malloc, failing as kmalloc() does (no reserve is modelled). */
typedef struct { size_t size; _Atomic long out; } mempool_t;
static inline mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
	mempool_t *p = calloc(1, sizeof(*p));

	(void)min_nr;
	if (p)
		p->size = size;
	return p;
}
static inline void *mempool_alloc(mempool_t *p, int gfp)
{
	void *e = kmalloc(p->size, gfp);

	if (e)
		p->out++;
	return e;
}
/* An element may also come from kmalloc() (as with a kmalloc pool). */
static inline void mempool_free(void *e, mempool_t *p) { (void)p; free(e); }
static inline void mempool_destroy(mempool_t *p) { free(p); }

/* device-mapper argument helpers, as in drivers/md/dm-table.c */
struct dm_arg_set {
	unsigned int argc;
	char **argv;
};

struct dm_arg {
	unsigned int min;
	unsigned int max;
	char *error;
};

int dm_read_arg(const struct dm_arg *arg, struct dm_arg_set *arg_set,
		unsigned int *value, char **error);
int dm_read_arg_group(const struct dm_arg *arg, struct dm_arg_set *arg_set,
		      unsigned int *value, char **error);
const char *dm_shift_arg(struct dm_arg_set *as);
void dm_consume_args(struct dm_arg_set *as, unsigned int num_args);

#endif /* FAKE_KERNEL_H */
