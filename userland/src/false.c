/* false: do nothing, unsuccessfully. */
#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "false", "false");
    ul_exit(1);
}
