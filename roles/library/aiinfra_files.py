#!/usr/bin/python
# Copyright: aiinfra-iac contributors. Licensed under the same terms as the project.
"""Write a role's configuration files and directories in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aiinfra_files
short_description: Write a role's configuration files and directories in one module run
description:
  - Ansible's C(template) and C(copy) cost two module runs on the node for every file, even when
    nothing changed (a C(stat), then C(file) for the attributes); C(file) costs one per directory.
    On a fleet that is most of an idempotent re-run.
  - The roles render their files on the controller (C(lookup('ansible.builtin.template', ...)) or
    C(lookup('ansible.builtin.file', ...))) and hand them all to this module, which compares each
    with the node in one run. A file whose content differs is replaced atomically (a temporary file
    in the same directory, then C(atomic_move)); mode, owner and group are set where they differ.
    Unchanged files and directories are left alone.
  - Directories are made first, so a file may live in a directory of the same call; files listed in
    C(absent) are removed last (a setting switched off leaves no file behind).
  - Supports check mode (reports what would change) and diff mode (a diff per changed file).
  - Secrets (a munge key) do not belong here: the diff would show them. Write those with
    C(ansible.builtin.copy) and C(no_log).
options:
  directories:
    description: Directories to make; each takes C(path) and optional C(mode), C(owner), C(group).
    type: list
    elements: dict
    default: []
  files:
    description: >-
      Files to write; each takes C(dest), C(content) and optional C(mode), C(owner), C(group).
      The parent directory must exist or be listed in C(directories).
    type: list
    elements: dict
    default: []
  absent:
    description: Paths of files (or symbolic links) to remove when present; a directory here is an error.
    type: list
    elements: str
    default: []
author: aiinfra-iac
"""

EXAMPLES = r"""
- name: Write the RoCE settings and the script that applies them
  aiinfra_files:
    directories:
      - {path: /etc/aiinfra, mode: "0755", owner: root, group: root}
    files:
      - dest: /etc/aiinfra/roce.conf
        content: "{{ lookup('ansible.builtin.template', 'roce.conf.j2') }}"
        mode: "0644"
      - dest: /usr/local/sbin/aiinfra-roce-apply
        content: "{{ lookup('ansible.builtin.file', 'aiinfra-roce-apply') }}"
        mode: "0755"
  register: roce_files
  notify: Restart the RoCE QoS unit
"""

RETURN = r"""
changed_paths:
  description: The files and directories this run changed or removed (or would, in check mode).
  returned: always
  type: list
  elements: str
"""

import os
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

_ENTRY_KEYS = {"mode", "owner", "group"}


def _attributes(module: AnsibleModule, entry: dict[str, Any], path: str) -> dict[str, Any]:
    arguments: dict[str, Any] = module.load_file_common_arguments(
        {key: entry.get(key) for key in _ENTRY_KEYS}, path=path
    )
    return arguments


def _check_keys(module: AnsibleModule, kind: str, entry: Any, required: set[str]) -> None:
    if not isinstance(entry, dict):
        module.fail_json(msg=f"{kind}: every entry must be a mapping, got {entry!r}")
    missing = sorted(required - entry.keys())
    unknown = sorted(entry.keys() - required - _ENTRY_KEYS)
    name = entry.get("dest") or entry.get("path") or "?"
    if missing:
        module.fail_json(msg=f"{kind} entry {name}: missing {', '.join(missing)}")
    if unknown:
        module.fail_json(msg=f"{kind} entry {name}: unknown key(s) {', '.join(unknown)}")


def _ensure_directory(module: AnsibleModule, entry: dict[str, Any]) -> bool:
    path = entry["path"]
    changed = False
    if os.path.lexists(path) and not os.path.isdir(path):
        module.fail_json(msg=f"directory {path}: exists and is not a directory")
    if not os.path.isdir(path):
        changed = True
        if module.check_mode:
            return True
        os.makedirs(path)
    return bool(module.set_fs_attributes_if_different(_attributes(module, entry, path), changed))


def _current_content(module: AnsibleModule, dest: str) -> bytes | None:
    if not os.path.lexists(dest):
        return None
    if os.path.isdir(dest):
        module.fail_json(msg=f"file {dest}: is a directory")
    with open(dest, "rb") as handle:
        return handle.read()


def _replace(module: AnsibleModule, dest: str, content: bytes) -> None:
    directory = os.path.dirname(dest) or "."
    handle, temporary = tempfile.mkstemp(prefix=".aiinfra-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        module.atomic_move(temporary, dest)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _ensure_file(module: AnsibleModule, entry: dict[str, Any], diffs: list[dict[str, str]]) -> bool:
    dest = entry["dest"]
    content = entry["content"]
    if not isinstance(content, str):
        module.fail_json(msg=f"file {dest}: content must be a string")
    wanted = content.encode("utf-8")
    parent = os.path.dirname(dest) or "."
    if not os.path.isdir(parent) and not module.check_mode:
        module.fail_json(msg=f"file {dest}: its directory {parent} does not exist")
    current = _current_content(module, dest)
    changed = current != wanted
    if changed:
        if module._diff:
            diffs.append(
                {
                    "before_header": dest,
                    "after_header": dest,
                    "before": "" if current is None else current.decode("utf-8", "replace"),
                    "after": content,
                }
            )
        if module.check_mode:
            return True
        _replace(module, dest, wanted)
    return bool(module.set_fs_attributes_if_different(_attributes(module, entry, dest), changed))


def _remove(module: AnsibleModule, path: str) -> bool:
    if not os.path.lexists(path):
        return False
    if os.path.isdir(path) and not os.path.islink(path):
        module.fail_json(msg=f"absent {path}: is a directory (only files are removed)")
    if not module.check_mode:
        os.unlink(path)
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": []},
            "files": {"type": "list", "elements": "dict", "default": []},
            "absent": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    directories = module.params["directories"]
    files = module.params["files"]
    for entry in directories:
        _check_keys(module, "directories", entry, {"path"})
    for entry in files:
        _check_keys(module, "files", entry, {"dest", "content"})

    changed_paths: list[str] = []
    diffs: list[dict[str, str]] = []
    for entry in directories:
        if _ensure_directory(module, entry):
            changed_paths.append(entry["path"])
    for entry in files:
        if _ensure_file(module, entry, diffs):
            changed_paths.append(entry["dest"])
    for path in module.params["absent"]:
        if _remove(module, path):
            changed_paths.append(path)

    result: dict[str, Any] = {"changed": bool(changed_paths), "changed_paths": changed_paths}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
