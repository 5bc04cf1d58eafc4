"""Run the command line in-process for a test: its exit status, standard output and standard error."""


def run(capsys, *argv):
    from diffkit.cli import main

    try:
        status = main(list(argv))
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err
