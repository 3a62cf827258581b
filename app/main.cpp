// amkd: distil large language models into small ones. Flags are parsed here; the work is in lib/.
#include <iostream>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "command.h"
#include "common/errors.h"
#include "common/stop_signals.h"

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
  // "amkd launch [OPTIONS] -- COMMAND ...": launch takes its command from the command's first
  // word on; CLI11 would hand what follows "--" to the root command instead, so drop it.
  std::vector<char*> args(argv, argv + argc);
  if (args.size() > 1 && std::string(args[1]) == "launch")
    for (size_t i = 2; i < args.size(); ++i)
      if (std::string(args[i]) == "--") {
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
  try {
    root.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    const int code = root.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (const auto& c : commands)
      if (c.cli->parsed()) return c.run();
    return 2;
  } catch (const amkd::StoppedBySignal& e) {
    return e.exit_code();  // the run saved its checkpoint and said so
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
