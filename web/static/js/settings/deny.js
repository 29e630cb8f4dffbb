/* 环节设置 of a user task: the operations it forbids (workflows/task_settings.py, key "deny"). */
window.ysflowSettings.field({
  key: 'deny', label: '不允许的操作', type: 'flags',
  options: [['transfer', '转办'], ['delegate', '委派'], ['add_signers', '加签'], ['remove_signers', '减签'],
            ['reject_to', '驳回'], ['withdraw', '撤回'], ['copy', '抄送'], ['release', '取消签收']]
});
