# Runs one command through pywinrm (an independent WinRM client) and prints the result as JSON.
# Arguments come from the environment so no password is ever on a command line.
import base64, json, os, sys

import winrm

endpoint = os.environ["PYWINRM_ENDPOINT"]
protocol = winrm.Protocol(
    endpoint=endpoint,
    transport=os.environ.get("PYWINRM_TRANSPORT", "ntlm"),
    username=os.environ["PYWINRM_USER"],
    password=os.environ["PYWINRM_PASSWORD"],
    message_encryption=os.environ.get("PYWINRM_ENCRYPTION", "always"),
    server_cert_validation="ignore",
    operation_timeout_sec=5,
    read_timeout_sec=10,
)
shell_id = protocol.open_shell()
results = []
for command in json.loads(os.environ["PYWINRM_COMMANDS"]):
    command_id = protocol.run_command(shell_id, command)
    stdout, stderr, code = protocol.get_command_output(shell_id, command_id)
    protocol.cleanup_command(shell_id, command_id)
    results.append({"stdout": base64.b64encode(stdout).decode(), "stderr": base64.b64encode(stderr).decode(), "code": code})
protocol.close_shell(shell_id)
json.dump(results, sys.stdout)
