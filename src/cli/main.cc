// conveyor's entry point: builds the command table and dispatches.
#include "cli/app.h"

int main(int argc, char** argv) { return conveyor::cli::Main(argc, argv); }
