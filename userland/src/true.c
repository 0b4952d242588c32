/* true: do nothing, successfully. */
#include "common.h"

int main(int argc, char **argv) {
    ul_init(argc, argv, "true", "true");
    ul_exit(0);
}
