/* test-virtqueue.c - split virtqueue: good chains, indirect tables, and every malformed chain a guest can build. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/virtio/queue.h"

#define RAM_SIZE	(1u << 20)
#define QSIZE		16
#define BUF_A		0x40000
#define BUF_B		0x50000
#define TABLE		0x60000

struct env {
	struct vk_guest_memory *mem;
	struct fake_ring ring;
	struct vk_virtq q;
	struct vk_virtq_chain c;
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->mem = fake_mem_new(RAM_SIZE);
	fake_ring_init(&e->ring, e->mem, 0x10000, QSIZE);
	e->q.name = "test queue";
	e->q.size = QSIZE;
	e->q.desc_gpa = e->ring.desc;
	e->q.avail_gpa = e->ring.avail;
	e->q.used_gpa = e->ring.used;
	assert_int_equal(vk_virtq_enable(&e->q, e->mem), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fake_mem_free(e->mem);
	test_free(e);
	return 0;
}

/* Pop must refuse the chain, mark the queue broken, and refuse work after. */
static void assert_refused(struct env *e, const char *why)
{
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), -EINVAL);
	assert_true(e->q.broken);
	assert_non_null(strstr(vk_last_error(), why));
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 0);
	assert_false(vk_virtq_has_work(&e->q));
}

static void test_empty_queue_gives_nothing(void **state)
{
	struct env *e = *state;

	assert_false(vk_virtq_has_work(&e->q));
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 0);
}

static void test_readable_then_writable_chain(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { BUF_A, 100, false }, { BUF_B, 200, true } };
	uint32_t id, len;
	uint16_t head = fake_ring_add(&e->ring, bufs, 2);

	assert_true(vk_virtq_has_work(&e->q));
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(e->c.head, head);
	assert_int_equal(e->c.n_out, 1);
	assert_int_equal(e->c.n_in, 1);
	assert_int_equal(e->c.out_len, 100);
	assert_int_equal(e->c.in_len, 200);
	assert_ptr_equal(e->c.iov[0].iov_base, fake_host(e->mem, BUF_A));
	assert_ptr_equal(e->c.iov[1].iov_base, fake_host(e->mem, BUF_B));
	vk_virtq_push(&e->q, e->c.head, 42);
	assert_int_equal(fake_ring_used_idx(&e->ring), 1);
	fake_ring_used(&e->ring, 0, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 42);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 0);
}

static void test_chain_as_long_as_the_queue(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[QSIZE];

	for (unsigned i = 0; i < QSIZE; i++)
		bufs[i] = (struct fake_buf){ BUF_A + 64 * i, 64, i >= QSIZE / 2 };
	fake_ring_add(&e->ring, bufs, QSIZE);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(e->c.n_out, QSIZE / 2);
	assert_int_equal(e->c.n_in, QSIZE / 2);
}

static void test_ring_wraps_past_65535(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF_A, 8, true };

	/* Indices are free-running 16-bit counters: start near the wrap. */
	e->ring.avail_idx = e->q.last_avail = e->q.used_idx = e->q.signalled_used = 65534;
	for (unsigned i = 0; i < 4; i++) {
		e->ring.next_free = 0;
		fake_ring_add(&e->ring, &buf, 1);
		assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
		vk_virtq_push(&e->q, e->c.head, 8);
	}
	assert_int_equal(fake_ring_used_idx(&e->ring), 2);
}

static void test_indirect_table(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_write_desc(e->mem, TABLE, 0, BUF_A, 16, VIRTQ_DESC_F_NEXT, 1);
	fake_write_desc(e->mem, TABLE, 1, BUF_A + 16, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	fake_write_desc(e->mem, TABLE, 2, BUF_B, 1, VIRTQ_DESC_F_WRITE, 0);
	fake_ring_set_desc(&e->ring, 3, TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 3);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(e->c.head, 3);
	assert_int_equal(e->c.n_out, 1);
	assert_int_equal(e->c.n_in, 2);
	assert_int_equal(e->c.in_len, 513);
}

static void test_indirect_without_feature_refused(void **state)
{
	struct env *e = *state;

	fake_write_desc(e->mem, TABLE, 0, BUF_A, 16, 0, 0);
	fake_ring_set_desc(&e->ring, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "VIRTIO_F_INDIRECT_DESC");
}

static void test_nested_indirect_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_write_desc(e->mem, TABLE, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_set_desc(&e->ring, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "inside an indirect table");
}

static void test_indirect_with_next_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_write_desc(e->mem, TABLE, 0, BUF_A, 16, 0, 0);
	fake_ring_set_desc(&e->ring, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	fake_ring_set_desc(&e->ring, 1, BUF_B, 16, 0, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "NEXT");
}

static void test_indirect_bad_length_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_ring_set_desc(&e->ring, 0, TABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "multiple of 16");
}

static void test_indirect_zero_length_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_ring_set_desc(&e->ring, 0, TABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "multiple of 16");
}

static void test_indirect_too_large_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_ring_set_desc(&e->ring, 0, TABLE, (VK_VIRTQ_MAX_SEGS + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "indirect table of");
}

static void test_indirect_table_outside_ram_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_ring_set_desc(&e->ring, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "indirect table outside guest RAM");
}

static void test_loop_inside_indirect_table_refused(void **state)
{
	struct env *e = *state;

	e->q.indirect = true;
	fake_write_desc(e->mem, TABLE, 0, BUF_A, 16, VIRTQ_DESC_F_NEXT, 1);
	fake_write_desc(e->mem, TABLE, 1, BUF_A, 16, VIRTQ_DESC_F_NEXT, 0);
	fake_ring_set_desc(&e->ring, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "a loop");
}

static void test_buffer_past_end_of_ram_refused(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { RAM_SIZE - 10, 100, true };

	fake_ring_add(&e->ring, &buf, 1);
	assert_refused(e, "outside guest RAM");
}

static void test_buffer_address_wrapping_refused(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { UINT64_MAX - 5, 100, false };

	fake_ring_add(&e->ring, &buf, 1);
	assert_refused(e, "outside guest RAM");
}

static void test_buffer_in_hole_refused(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { 0xC0000000ull, 4, false };

	fake_ring_add(&e->ring, &buf, 1);
	assert_refused(e, "outside guest RAM");
}

static void test_loop_refused(void **state)
{
	struct env *e = *state;

	fake_ring_set_desc(&e->ring, 0, BUF_A, 8, VIRTQ_DESC_F_NEXT, 1);
	fake_ring_set_desc(&e->ring, 1, BUF_A, 8, VIRTQ_DESC_F_NEXT, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "a loop");
}

static void test_self_loop_refused(void **state)
{
	struct env *e = *state;

	fake_ring_set_desc(&e->ring, 5, BUF_A, 8, VIRTQ_DESC_F_NEXT, 5);
	fake_ring_publish(&e->ring, 5);
	assert_refused(e, "a loop");
}

static void test_next_index_out_of_range_refused(void **state)
{
	struct env *e = *state;

	fake_ring_set_desc(&e->ring, 0, BUF_A, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "beyond table");
}

static void test_head_out_of_range_refused(void **state)
{
	struct env *e = *state;

	fake_ring_publish(&e->ring, 0xffff);
	assert_refused(e, "beyond table");
}

static void test_avail_index_too_far_ahead_refused(void **state)
{
	struct env *e = *state;
	uint16_t *avail = fake_host(e->mem, e->ring.avail);

	avail[1] = QSIZE + 1;
	assert_refused(e, "ahead of the device");
}

static void test_readable_after_writable_refused(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { BUF_B, 16, true }, { BUF_A, 16, false } };

	fake_ring_add(&e->ring, bufs, 2);
	assert_refused(e, "readable descriptor after a writable one");
}

static void test_total_length_over_4g_refused(void **state)
{
	struct env *e = *state;
	struct vk_guest_memory big = { .n_regions = 2 };
	uint64_t huge = 8ull << 30;
	void *map = mmap(NULL, huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED)
		skip();
	/* The rings stay in the small region; the buffers point into 8 GiB
	 * that is never touched. */
	big.regions[0] = e->mem->regions[0];
	big.regions[1] = (struct vk_mem_region){ 1ull << 32, huge, map };
	e->q.mem = &big;
	fake_ring_set_desc(&e->ring, 0, 1ull << 32, 0xffffffffu, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	fake_ring_set_desc(&e->ring, 1, 1ull << 32, 2, VIRTQ_DESC_F_WRITE, 0);
	fake_ring_publish(&e->ring, 0);
	assert_refused(e, "longer than 4 GiB");
	munmap(map, huge);
}

static void test_zero_length_buffer_skipped(void **state)
{
	struct env *e = *state;
	/* No address is needed to move zero bytes, so none is trusted. */
	struct fake_buf bufs[] = { { UINT64_MAX, 0, false }, { BUF_B, 10, true } };

	fake_ring_add(&e->ring, bufs, 2);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(e->c.n_out, 0);
	assert_int_equal(e->c.n_in, 1);
	assert_int_equal(e->c.in_len, 10);
}

static void test_chain_write_never_reaches_readable_buffers(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { BUF_A, 100, false }, { BUF_B, 50, true }, { BUF_B + 0x100, 50, true } };
	uint8_t src[300], dst[100];

	memset(fake_host(e->mem, BUF_A), 0xaa, 100);
	memset(src, 0x55, sizeof(src));
	fake_ring_add(&e->ring, bufs, 3);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(vk_virtq_chain_write(&e->c, 0, src, sizeof(src)), 100);
	assert_int_equal(vk_virtq_chain_write(&e->c, 40, src, 20), 20);	/* spans both */
	assert_int_equal(vk_virtq_chain_write(&e->c, 100, src, 1), 0);
	assert_int_equal(vk_virtq_chain_read(&e->c, 0, dst, sizeof(dst)), 100);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(dst[i], 0xaa);
	assert_int_equal(vk_virtq_chain_read(&e->c, 99, dst, 10), 1);
	assert_int_equal(((uint8_t *)fake_host(e->mem, BUF_B + 0x100))[49], 0x55);
}

static void test_no_interrupt_flag_respected(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF_A, 8, true };
	uint16_t *avail = fake_host(e->mem, e->ring.avail);

	fake_ring_add(&e->ring, &buf, 1);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	vk_virtq_push(&e->q, e->c.head, 0);
	avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	assert_false(vk_virtq_need_interrupt(&e->q));
	avail[0] = 0;
	vk_virtq_push(&e->q, e->c.head, 0);
	assert_true(vk_virtq_need_interrupt(&e->q));
}

static void test_event_idx(void **state)
{
	struct env *e = *state;
	struct fake_buf buf = { BUF_A, 8, true };

	e->q.event_idx = true;
	fake_ring_set_used_event(&e->ring, 0);	/* interrupt when entry 0 is used */
	for (unsigned i = 0; i < 3; i++)
		fake_ring_add(&e->ring, &buf, 1);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	assert_int_equal(fake_ring_avail_event(&e->ring), 1);
	vk_virtq_push(&e->q, e->c.head, 0);
	assert_true(vk_virtq_need_interrupt(&e->q));
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	vk_virtq_push(&e->q, e->c.head, 0);
	assert_false(vk_virtq_need_interrupt(&e->q));	/* driver not interested yet */
	fake_ring_set_used_event(&e->ring, 2);
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 1);
	vk_virtq_push(&e->q, e->c.head, 0);
	assert_true(vk_virtq_need_interrupt(&e->q));
	assert_int_equal(vk_virtq_pop(&e->q, &e->c), 0);
	assert_int_equal(fake_ring_avail_event(&e->ring), 3);
}

static void test_enable_checks_rings(void **state)
{
	struct env *e = *state;
	struct vk_virtq q = { .name = "q", .size = 16, .desc_gpa = 0x1000, .avail_gpa = 0x2000,
			      .used_gpa = 0x3000 };

	assert_int_equal(vk_virtq_enable(&q, e->mem), 0);
	q.size = 12;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	q.size = 512;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	q.size = 0;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	q.size = 16;
	q.desc_gpa = 0x1008;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	q.desc_gpa = 0x1000;
	q.used_gpa = 0x3002;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	q.used_gpa = RAM_SIZE - 8;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
	assert_false(q.ready);
	q.used_gpa = 0x3000;
	q.avail_gpa = UINT64_MAX - 1;
	assert_int_equal(vk_virtq_enable(&q, e->mem), -EINVAL);
}

static void test_reset_clears_broken_state(void **state)
{
	struct env *e = *state;

	fake_ring_publish(&e->ring, 0xffff);
	assert_refused(e, "beyond table");
	vk_virtq_reset(&e->q);
	assert_false(e->q.broken);
	assert_false(e->q.ready);
	assert_string_equal(e->q.name, "test queue");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_queue_gives_nothing),
		T(test_readable_then_writable_chain),
		T(test_chain_as_long_as_the_queue),
		T(test_ring_wraps_past_65535),
		T(test_indirect_table),
		T(test_indirect_without_feature_refused),
		T(test_nested_indirect_refused),
		T(test_indirect_with_next_refused),
		T(test_indirect_bad_length_refused),
		T(test_indirect_zero_length_refused),
		T(test_indirect_too_large_refused),
		T(test_indirect_table_outside_ram_refused),
		T(test_loop_inside_indirect_table_refused),
		T(test_buffer_past_end_of_ram_refused),
		T(test_buffer_address_wrapping_refused),
		T(test_buffer_in_hole_refused),
		T(test_loop_refused),
		T(test_self_loop_refused),
		T(test_next_index_out_of_range_refused),
		T(test_head_out_of_range_refused),
		T(test_avail_index_too_far_ahead_refused),
		T(test_readable_after_writable_refused),
		T(test_total_length_over_4g_refused),
		T(test_zero_length_buffer_skipped),
		T(test_chain_write_never_reaches_readable_buffers),
		T(test_no_interrupt_flag_respected),
		T(test_event_idx),
		T(test_enable_checks_rings),
		T(test_reset_clears_broken_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
