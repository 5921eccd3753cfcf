/* libFuzzer: crashkernel= parsing and the reservation it implies. Properties: an error's
 * position lies inside the input; a reservation never exceeds RAM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crashkernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);
	struct kd_ck_value v;
	size_t pos = 0;
	kd_err *e = kd_ck_parse_value(s, &v, &pos);
	if (e && pos > len)
		abort();
	kd_err_free(e);
	struct kd_crashkernel ck;
	pos = 0;
	e = kd_ck_parse_cmdline(s, &ck, &pos);
	if (e) {
		if (pos > len)
			abort();
		kd_err_free(e);
	} else {
		static const uint64_t rams[] = { 0, 1ULL << 29, (1ULL << 32) - 12345, 1ULL << 40,
						 UINT64_MAX };
		for (size_t i = 0; i < sizeof(rams) / sizeof(rams[0]); i++) {
			struct kd_ck_reservation r;
			kd_err *re = kd_ck_reserve(&ck, rams[i], &r);
			/* ranges compare against RAM rounded up to 128M; nothing may exceed that */
			uint64_t lim = rams[i] > UINT64_MAX - (128ULL << 20) ? UINT64_MAX
									    : rams[i] + (128ULL << 20);
			if (!re && !r.high && rams[i] && r.size >= lim)
				abort();
			kd_err_free(re);
		}
	}
	free(s);
	return 0;
}
