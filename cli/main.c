/* kdumpkit: one static executable, many applets (see applets.h). */
#include "applets.h"

int main(int argc, char **argv)
{
	return kd_multicall(argc, argv);
}
