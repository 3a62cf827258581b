// amkd: distil large language models into small ones. Flags are parsed here; the work is in lib/.
#include <iostream>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "command.h"
#include "common/errors.h"

int main(int argc, char** argv) {
  CLI::App root{"amkd: distil large language models into small ones (AMMD and baselines)", "amkd"};
  root.require_subcommand(1);
  root.set_version_flag("--version", "amkd 0.1.0");
  root.footer("Run 'amkd COMMAND --help' for a command's flags and examples.");
  std::vector<amkd::app::Command> commands = {
      amkd::app::add_inspect_command(root), amkd::app::add_score_command(root),
      amkd::app::add_convert_command(root), amkd::app::add_tokenize_command(root),
      amkd::app::add_check_command(root),   amkd::app::add_generate_command(root),
      amkd::app::add_sft_command(root),     amkd::app::add_train_command(root),
      amkd::app::add_eval_command(root),    amkd::app::add_init_student_command(root),
      amkd::app::add_launch_command(root),
  };
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = root.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (const auto& c : commands)
      if (c.cli->parsed()) return c.run();
    return 2;
  } catch (const amkd::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "internal error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}
