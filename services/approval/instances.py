"""Process instances: started once per case, advanced by task completions, each save a
compare-and-set on ``rev`` so that two replicas never both advance one instance."""
import mongoengine as me

from services.approval import bpmn_engine, models
from services.approval.forms import validate_form_data
from services.approval.worklist import can_work_on, task_department
from services.common.errors import Conflict, NotFound

SAVE_ATTEMPTS = 3


class InstanceRepository:
    def __init__(self, definitions):
        self.definitions = definitions

    def start_for_case(self, case, now):
        """Start the case's process on the newest version; a repeated event starts nothing.

        Returns the progress to announce, or None when the instance already existed."""
        if models.ProcessInstance.objects(case_no=case["case_no"]).only("id").first() is not None:
            return None
        version, diagram = self.definitions.latest(case["process_key"])
        workflow = bpmn_engine.start(diagram, {
            "case_no": case["case_no"], "item_code": case.get("item_code"), "department": case["department"],
        })
        instance = models.ProcessInstance(
            case_no=case["case_no"], process_key=case["process_key"], process_version=version,
            item_code=case.get("item_code"), department=case["department"],
            status=_status(workflow), state=bpmn_engine.dump_state(workflow), rev=1,
            started_at=now, updated_at=now,
        )
        try:
            instance.save(force_insert=True)
        except me.NotUniqueError:  # a concurrent delivery of the same event stored it first
            return None
        self._sync_open_tasks(instance, workflow, now)
        return self._progress(instance, workflow)

    def tasks_for(self, user):
        tasks = models.OpenTask.objects(role__in=list(user.get("roles", ())), department=user.get("department"))
        return [task_view(t) for t in sorted(tasks, key=lambda t: t.created_at)]

    def get_task(self, task_id, user):
        task = models.OpenTask.objects(task_id=task_id).first()
        if task is None or not can_work_on(user, task.role, task.department):
            raise NotFound(f"task {task_id} is not in your work list")
        return task_view(task)

    def complete(self, task_id, data, user, now):
        """Complete an open task with form data; returns ``(task view, progress)``."""
        task = models.OpenTask.objects(task_id=task_id).first()
        if task is None:
            done = models.TaskHistory.objects(task_id=task_id).first()
            if done is not None and can_work_on(user, done.role, done.department):
                raise Conflict(f"task {task_id} was already completed by {done.completed_by} "
                               f"at {done.completed_at.isoformat()}")
            raise NotFound(f"task {task_id} is not in your work list")
        if not can_work_on(user, task.role, task.department):
            raise NotFound(f"task {task_id} is not in your work list")
        data = validate_form_data(task.form, data)
        for _ in range(SAVE_ATTEMPTS):
            instance = models.ProcessInstance.objects(case_no=task.case_no).first()
            diagram = self.definitions.diagram(instance.process_key, instance.process_version)
            workflow = bpmn_engine.load_state(diagram, instance.state)
            try:
                bpmn_engine.complete_task(workflow, task_id, data)
            except bpmn_engine.TaskNotReady:
                raise Conflict(f"task {task_id} is no longer open") from None
            except bpmn_engine.ProcessFailed as failure:
                raise Conflict(f"the process of case {task.case_no} cannot continue at "
                               f"{failure.element_id}: {failure.message}; nothing was saved") from None
            saved = models.ProcessInstance.objects(id=instance.id, rev=instance.rev).update_one(
                set__state=bpmn_engine.dump_state(workflow), set__status=_status(workflow),
                set__updated_at=now, inc__rev=1,
            )
            if saved:
                instance.rev += 1
                instance.status = _status(workflow)
                models.TaskHistory(
                    task_id=task.task_id, case_no=task.case_no, element_id=task.element_id, name=task.name,
                    role=task.role, department=task.department, completed_by=user["username"],
                    completed_at=now, data=data,
                ).save()
                self._sync_open_tasks(instance, workflow, now)
                return task_view(task), self._progress(instance, workflow)
        raise Conflict(f"the case {task.case_no} is being changed by someone else, please retry")

    def _sync_open_tasks(self, instance, workflow, now):
        """Make the open-task collection match the workflow's ready user tasks."""
        ready = {t["id"]: t for t in bpmn_engine.open_user_tasks(workflow)}
        for stale in models.OpenTask.objects(case_no=instance.case_no):
            if stale.task_id not in ready:
                stale.delete()
        for task_id, t in ready.items():
            models.OpenTask.objects(task_id=task_id).update_one(
                upsert=True, set__case_no=instance.case_no, set__element_id=t["element_id"],
                set__name=t["name"], set__role=t["role"],
                set__department=task_department(t["role"], instance.department),
                set__form=t["form"], set_on_insert__created_at=now,
            )

    @staticmethod
    def _progress(instance, workflow):
        tasks = bpmn_engine.open_user_tasks(workflow)
        data = bpmn_engine.workflow_data(workflow)
        return {
            "case_no": instance.case_no, "rev": instance.rev, "status": _status(workflow),
            "current_step": ", ".join(t["name"] for t in tasks) or None,
            "outcome": data.get("decision") if bpmn_engine.is_completed(workflow) else None,
        }


def _status(workflow):
    return "completed" if bpmn_engine.is_completed(workflow) else "in_progress"


def task_view(task):
    return {"id": task.task_id, "case_no": task.case_no, "element_id": task.element_id, "name": task.name,
            "role": task.role, "department": task.department, "form": task.form,
            "created_at": task.created_at.isoformat()}

