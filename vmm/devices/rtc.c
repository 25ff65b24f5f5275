/* devices/rtc.c - MC146818 CMOS real-time clock: the host's UTC time, in BCD or binary as the guest asks. */
#include "config.h"

#include <string.h>

#include "vmm/devices/legacy.h"

#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32
#define RTC_REG_A_DIVIDER	0x26	/* 32.768 kHz, 1024 Hz; UIP never set */
#define RTC_REG_B_SQWE		0x08
#define RTC_REG_B_UIE		0x10
#define RTC_REG_B_AIE		0x20
#define RTC_REG_B_PIE		0x40
#define RTC_REG_B_24H		0x02
#define RTC_REG_B_DM_BINARY	0x04
#define RTC_REG_D_VRT		0x80	/* battery good */
#define RTC_INDEX_MASK		0x7f	/* bit 7 of the index port masks NMI */

static uint8_t encode(const struct vk_rtc *r, int v)
{
	if (r->cmos[RTC_REG_B] & RTC_REG_B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_read(struct vk_rtc *r, uint8_t reg)
{
	time_t now = r->now(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:	return encode(r, tm.tm_sec);
	case RTC_MINUTES:	return encode(r, tm.tm_min);
	case RTC_HOURS:		return encode(r, tm.tm_hour);
	case RTC_DAY_OF_WEEK:	return encode(r, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:	return encode(r, tm.tm_mday);
	case RTC_MONTH:		return encode(r, tm.tm_mon + 1);
	case RTC_YEAR:		return encode(r, tm.tm_year % 100);
	case RTC_CENTURY:	return encode(r, (tm.tm_year + 1900) / 100);
	case RTC_REG_A:		return RTC_REG_A_DIVIDER;
	case RTC_REG_C:		return 0;	/* no alarm, periodic or update interrupts */
	case RTC_REG_D:		return RTC_REG_D_VRT;
	default:		return r->cmos[reg];
	}
}

void vk_rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_rtc *r = opaque;

	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (offset == 0) {
		if (is_write)
			r->index = data[0] & RTC_INDEX_MASK;
		else
			data[0] = 0xff;	/* the index port is write-only */
	} else if (is_write) {
		/* The clock is the host's: time writes are dropped, the rest kept. */
		if (r->index == RTC_REG_B || r->index > RTC_REG_D)
			r->cmos[r->index] = data[0];
	} else {
		data[0] = rtc_read(r, r->index);
	}
}

void vk_rtc_set_nvram(struct vk_rtc *r, uint8_t index, uint8_t value)
{
	if (index > RTC_REG_D && index < VK_CMOS_SIZE)
		r->cmos[index] = value;
}

uint8_t vk_rtc_nvram(const struct vk_rtc *r, uint8_t index)
{
	return index > RTC_REG_D && index < VK_CMOS_SIZE ? r->cmos[index] : 0;
}

void vk_rtc_reset(struct vk_rtc *r)
{
	/* The MC146818's RESET pin clears the interrupt enables and the
	 * square wave; the clock and the CMOS RAM (the battery's) stay. */
	r->cmos[RTC_REG_B] &= (uint8_t)~(RTC_REG_B_PIE | RTC_REG_B_AIE | RTC_REG_B_UIE | RTC_REG_B_SQWE);
	r->index = 0;
}

int vk_rtc_init(struct vk_rtc *r, struct vk_bus *pio)
{
	memset(r, 0, sizeof(*r));
	r->now = time;
	r->cmos[RTC_REG_B] = RTC_REG_B_24H;
	return vk_bus_register(pio, VK_RTC_PORT, 2, vk_rtc_io, r, "CMOS RTC");
}
