/* Progress for long work (copying or filtering gigabytes): a bar with rate and ETA redrawn on
 * stderr at most a few times a second when stderr is a terminal, nothing otherwise, so logs and
 * pipes stay clean. The line formatting is a pure function so it can be tested. */
#ifndef KD_BASE_PROGRESS_H
#define KD_BASE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct kd_progress {
	const char *what;
	uint64_t total;     /* units of work; 0 = unknown */
	uint64_t done;
	double start;       /* monotonic seconds */
	double last_draw;
	FILE *out;          /* NULL: disabled */
	int width;          /* terminal columns */
};

/* Enabled only if stderr is a terminal (or `force` is set, for tests). */
void kd_progress_begin(struct kd_progress *p, const char *what, uint64_t total, int force);
void kd_progress_update(struct kd_progress *p, uint64_t done);
/* Draws the final state and ends the line. */
void kd_progress_end(struct kd_progress *p);

/* "what [#####.....]  42% 1.2G/2.9G ETA 0:13" cut to `width` columns. Returns buf. */
char *kd_progress_format(char *buf, size_t n, const char *what, uint64_t done, uint64_t total,
			 double elapsed, int width);

double kd_monotonic(void);

#endif
