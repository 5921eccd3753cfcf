/* Architectures without a purgatory yet: an empty object, which the loader refuses. */
#include "purgatory/object.h"

const unsigned char kd_purgatory_object[1];
const unsigned char kd_purgatory_object_end[1];
