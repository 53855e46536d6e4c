// SPDX-License-Identifier: MIT
//
// Every route lcwd serves, with the permission it needs, written from the
// spec (section 5 and section 10), NOT copied from src/api/auth.c. It is the
// twin of the route table in src/api/routes.c: auth.test.mjs fails when the
// two lists differ, and walks this one for the route x role matrix.
//
// perm names (spec section 10; directory and audit routes use Graph's names):
//   LifecycleWorkflows.Read.All / LifecycleWorkflows.ReadWrite.All  settings, catalogues, container
//   LifecycleWorkflows-Workflow.ReadBasic.All                       list workflows
//   LifecycleWorkflows-Workflow.Read.All                            get workflows, tasks, versions, deleted
//   LifecycleWorkflows-Workflow.ReadWrite.All                       every workflow change
//   LifecycleWorkflows-CustomExt.Read.All / .ReadWrite.All          custom task extensions
//   AuditLog.Read.All                                               audit log
//   Directory.Read.All / Directory.ReadWrite.All                    embedded directory
//
// Placeholders: {workflowId} {taskId} {versionNumber} {deletedWorkflowId}
// {extensionId} {taskDefinitionId} {templateId} {auditId} {userId} {groupId}
// {memberId} {skuId}. `body` is what the matrix sends: write requests use bodies or
// ids that are refused after the permission check (400/404), so the matrix
// changes nothing.

const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
const WF = `${LW}/workflows/{workflowId}`;
const MISSING = '{missingId}';

const R = 'LifecycleWorkflows.Read.All';
const RW = 'LifecycleWorkflows.ReadWrite.All';
const WF_BASIC = 'LifecycleWorkflows-Workflow.ReadBasic.All';
const WF_READ = 'LifecycleWorkflows-Workflow.Read.All';
const WF_WRITE = 'LifecycleWorkflows-Workflow.ReadWrite.All';
const EXT_READ = 'LifecycleWorkflows-CustomExt.Read.All';
const EXT_WRITE = 'LifecycleWorkflows-CustomExt.ReadWrite.All';
const AUDIT = 'AuditLog.Read.All';
const DIR_READ = 'Directory.Read.All';
const DIR_WRITE = 'Directory.ReadWrite.All';

const WF_ACTIVATE = 'LifecycleWorkflows-Workflow.Activate';
const REPORTS = 'LifecycleWorkflows-Reports.Read.All';
// The resume callback authenticates its caller itself (a custom task
// extension's own credential is not an lcw token): any bearer gets through
// the permission check, so this route is "allowed" for every role.
const CALLBACK = 'ANY';

const INVALID = { thisPropertyDoesNotExist: true };

export const ROUTES = [
  { method: 'GET', path: LW, perm: R },

  // workflows (5.1)
  { method: 'GET', path: `${LW}/workflows`, perm: WF_BASIC },
  { method: 'POST', path: `${LW}/workflows`, perm: WF_WRITE, body: INVALID },
  { method: 'GET', path: WF, perm: WF_READ },
  { method: 'PATCH', path: WF, perm: WF_WRITE, body: INVALID },
  { method: 'DELETE', path: `${LW}/workflows/${MISSING}`, template: WF, perm: WF_WRITE },
  { method: 'POST', path: `${WF}/createNewVersion`, perm: WF_WRITE, body: INVALID },
  { method: 'POST', path: `${WF}/activate`, perm: WF_ACTIVATE, body: INVALID },
  { method: 'POST', path: `${WF}/cancelProcessing`, perm: WF_WRITE, body: INVALID },
  { method: 'POST', path: `${WF}/activateWithScope`, perm: WF_ACTIVATE, body: INVALID },
  { method: 'POST', path: `${WF}/planActivation`, perm: WF_ACTIVATE, body: INVALID },
  { method: 'POST', path: `${WF}/previewWorkflow`, perm: WF_WRITE, body: INVALID },
  { method: 'POST', path: `${WF}/previewTaskFailures`, perm: WF_WRITE },
  { method: 'POST', path: `${LW}/workflows/${MISSING}/clearQuarantine`, template: `${WF}/clearQuarantine`, perm: WF_WRITE },
  { method: 'GET', path: `${WF}/executionScope`, perm: WF_READ },

  // run history (5.4)
  { method: 'GET', path: `${WF}/runs`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}`, template: `${WF}/runs/{runId}`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/userProcessingResults`, template: `${WF}/runs/{runId}/userProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/userProcessingResults/${MISSING}`, template: `${WF}/runs/{runId}/userProcessingResults/{userResultId}`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/userProcessingResults/${MISSING}/taskProcessingResults`, template: `${WF}/runs/{runId}/userProcessingResults/{userResultId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/taskProcessingResults`, template: `${WF}/runs/{runId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/userProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/userProcessingResults/${MISSING}`, template: `${WF}/userProcessingResults/{userResultId}`, perm: REPORTS },
  { method: 'GET', path: `${WF}/userProcessingResults/${MISSING}/taskProcessingResults`, template: `${WF}/userProcessingResults/{userResultId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/taskReports`, perm: REPORTS },
  { method: 'GET', path: `${WF}/taskReports/${MISSING}/taskProcessingResults`, template: `${WF}/taskReports/{taskReportId}/taskProcessingResults`, perm: REPORTS },
  // history reports (issue 5)
  { method: 'GET', path: `${WF}/runs/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${WF}/runs/summary()`, perm: REPORTS },
  { method: 'GET', path: `${WF}/userProcessingResults/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${WF}/userProcessingResults/summary()`, perm: REPORTS },
  { method: 'GET', path: `${WF}/taskReports/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${WF}/taskReports/summary()`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/subjectProcessingResults/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${WF}/runs/{runId}/subjectProcessingResults/summary()`, perm: REPORTS },
  { method: 'GET', path: `${WF}/subjectProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/subjectProcessingResults`, template: `${WF}/runs/{runId}/subjectProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/runs/${MISSING}/subjectProcessingResults/${MISSING}`, template: `${WF}/runs/{runId}/subjectProcessingResults/{subjectResultId}`, perm: REPORTS },
  { method: 'GET', path: `${LW}/insights/workflowsProcessedSummary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/insights/workflowsProcessedSummary()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/insights/workflowsProcessedByCategory(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/insights/workflowsProcessedByCategory()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/insights/topWorkflowsProcessedSummary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/insights/topWorkflowsProcessedSummary()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/insights/topTasksProcessedSummary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/insights/topTasksProcessedSummary()`, perm: REPORTS },
  // history of deleted workflows
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/summary()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/summary()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/taskReports/summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2027-01-01T00:00:00Z)`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/taskReports/summary()`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/${MISSING}`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/{runId}`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/${MISSING}/userProcessingResults`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/{runId}/userProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/${MISSING}/taskProcessingResults`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/runs/{runId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/${MISSING}`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/{userResultId}`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/${MISSING}/taskProcessingResults`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/userProcessingResults/{userResultId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}/taskReports`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/taskReports`, perm: REPORTS },
  // reprocess lineage
  { method: 'GET', path: `${WF}/runs/${MISSING}/reprocessedRuns`, template: `${WF}/runs/{runId}/reprocessedRuns`, perm: REPORTS },
  { method: 'DELETE', path: `${WF}/runs/${MISSING}/reprocessedRuns/${MISSING}/$ref`, template: `${WF}/runs/{runId}/reprocessedRuns/{newRunId}/$ref`, perm: WF_WRITE },
  { method: 'GET', path: `${WF}/userProcessingResults/${MISSING}/reprocessedRuns`, template: `${WF}/userProcessingResults/{userResultId}/reprocessedRuns`, perm: REPORTS },
  { method: 'DELETE', path: `${WF}/userProcessingResults/${MISSING}/reprocessedRuns/${MISSING}/$ref`, template: `${WF}/userProcessingResults/{userResultId}/reprocessedRuns/{newRunId}/$ref`, perm: WF_WRITE },
  { method: 'GET', path: `${WF}/runs/${MISSING}/userProcessingResults/${MISSING}/reprocessedRuns`, template: `${WF}/runs/{runId}/userProcessingResults/{userResultId}/reprocessedRuns`, perm: REPORTS },
  { method: 'DELETE', path: `${WF}/runs/${MISSING}/userProcessingResults/${MISSING}/reprocessedRuns/${MISSING}/$ref`, template: `${WF}/runs/{runId}/userProcessingResults/{userResultId}/reprocessedRuns/{newRunId}/$ref`, perm: WF_WRITE },
  { method: 'GET', path: `${WF}/tasks/{taskId}/taskProcessingResults`, perm: REPORTS },
  { method: 'GET', path: `${WF}/tasks/{taskId}/taskProcessingResults/${MISSING}`, template: `${WF}/tasks/{taskId}/taskProcessingResults/{taskResultId}`, perm: REPORTS },
  { method: 'POST', path: `${WF}/tasks/{taskId}/taskProcessingResults/${MISSING}/resume`, template: `${WF}/tasks/{taskId}/taskProcessingResults/{taskResultId}/resume`, perm: CALLBACK, body: { data: { operationStatus: 'completed' } } },

  // tasks and versions (5.2)
  { method: 'GET', path: `${WF}/tasks`, perm: WF_READ },
  { method: 'GET', path: `${WF}/tasks/{taskId}`, perm: WF_READ },
  { method: 'PATCH', path: `${WF}/tasks/{taskId}`, perm: WF_WRITE, body: INVALID },
  { method: 'GET', path: `${WF}/versions`, perm: WF_READ },
  { method: 'GET', path: `${WF}/versions/{versionNumber}`, perm: WF_READ },
  { method: 'GET', path: `${WF}/versions/{versionNumber}/tasks`, perm: WF_READ },
  { method: 'GET', path: `${WF}/versions/{versionNumber}/tasks/{taskId}`, perm: WF_READ },

  // deleted workflows (5.3)
  { method: 'GET', path: `${LW}/deletedItems/workflows`, perm: WF_READ },
  { method: 'GET', path: `${LW}/deletedItems/workflows/{deletedWorkflowId}`, perm: WF_READ },
  { method: 'DELETE', path: `${LW}/deletedItems/workflows/${MISSING}`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}`, perm: WF_WRITE },
  { method: 'POST', path: `${LW}/deletedItems/workflows/${MISSING}/restore`, template: `${LW}/deletedItems/workflows/{deletedWorkflowId}/restore`, perm: WF_WRITE },

  // custom task extensions (5.7)
  { method: 'GET', path: `${LW}/customTaskExtensions`, perm: EXT_READ },
  { method: 'POST', path: `${LW}/customTaskExtensions`, perm: EXT_WRITE, body: INVALID },
  { method: 'GET', path: `${LW}/customTaskExtensions/{extensionId}`, perm: EXT_READ },
  { method: 'PATCH', path: `${LW}/customTaskExtensions/{extensionId}`, perm: EXT_WRITE, body: INVALID },
  { method: 'DELETE', path: `${LW}/customTaskExtensions/${MISSING}`, template: `${LW}/customTaskExtensions/{extensionId}`, perm: EXT_WRITE },

  // settings and catalogues (5.8)
  { method: 'GET', path: `${LW}/settings`, perm: R },
  { method: 'PATCH', path: `${LW}/settings`, perm: RW, body: { workflowScheduleIntervalInHours: 0 } },
  { method: 'GET', path: `${LW}/taskDefinitions`, perm: R },
  { method: 'GET', path: `${LW}/taskDefinitions/{taskDefinitionId}`, perm: R },
  { method: 'GET', path: `${LW}/workflowTemplates`, perm: R },
  { method: 'GET', path: `${LW}/workflowTemplates/{templateId}`, perm: R },

  // lcw extension: who am I (any valid token)
  { method: 'GET', path: '/v1.0/lcw/whoami', perm: CALLBACK },

  // audit
  { method: 'GET', path: '/v1.0/auditLogs/directoryAudits', perm: AUDIT },
  { method: 'GET', path: '/v1.0/auditLogs/directoryAudits/{auditId}', perm: AUDIT },

  // embedded directory
  { method: 'GET', path: '/v1.0/users', perm: DIR_READ },
  { method: 'POST', path: '/v1.0/users', perm: DIR_WRITE, body: INVALID },
  { method: 'GET', path: '/v1.0/users/{userId}', perm: DIR_READ },
  { method: 'PATCH', path: '/v1.0/users/{userId}', perm: DIR_WRITE, body: INVALID },
  { method: 'DELETE', path: `/v1.0/users/${MISSING}`, template: '/v1.0/users/{userId}', perm: DIR_WRITE },
  { method: 'GET', path: '/v1.0/users/{userId}/manager', perm: DIR_READ },
  { method: 'GET', path: '/v1.0/users/{userId}/manager/$ref', perm: DIR_READ },
  { method: 'PUT', path: '/v1.0/users/{userId}/manager/$ref', perm: DIR_WRITE, body: INVALID },
  { method: 'DELETE', path: `/v1.0/users/${MISSING}/manager/$ref`, template: '/v1.0/users/{userId}/manager/$ref', perm: DIR_WRITE },
  { method: 'GET', path: '/v1.0/users/{userId}/directReports', perm: DIR_READ },
  { method: 'GET', path: '/v1.0/users/{userId}/memberOf', perm: DIR_READ },
  { method: 'POST', path: '/v1.0/users/{userId}/assignLicense', perm: DIR_WRITE, body: INVALID },
  { method: 'GET', path: '/v1.0/users/{userId}/authentication/temporaryAccessPassMethods', perm: DIR_READ },
  { method: 'GET', path: '/v1.0/directory/deletedItems/microsoft.graph.user', perm: DIR_READ },
  { method: 'GET', path: `/v1.0/directory/deletedItems/${MISSING}`, template: '/v1.0/directory/deletedItems/{deletedUserId}', perm: DIR_READ },
  { method: 'POST', path: `/v1.0/directory/deletedItems/${MISSING}/restore`, template: '/v1.0/directory/deletedItems/{deletedUserId}/restore', perm: DIR_WRITE },
  { method: 'GET', path: '/v1.0/groups', perm: DIR_READ },
  { method: 'POST', path: '/v1.0/groups', perm: DIR_WRITE, body: INVALID },
  { method: 'GET', path: '/v1.0/groups/{groupId}', perm: DIR_READ },
  { method: 'PATCH', path: '/v1.0/groups/{groupId}', perm: DIR_WRITE, body: INVALID },
  { method: 'DELETE', path: `/v1.0/groups/${MISSING}`, template: '/v1.0/groups/{groupId}', perm: DIR_WRITE },
  { method: 'GET', path: '/v1.0/groups/{groupId}/members', perm: DIR_READ },
  { method: 'POST', path: '/v1.0/groups/{groupId}/members/$ref', perm: DIR_WRITE, body: INVALID },
  { method: 'DELETE', path: `/v1.0/groups/{groupId}/members/${MISSING}/$ref`, template: '/v1.0/groups/{groupId}/members/{memberId}/$ref', perm: DIR_WRITE },
  { method: 'GET', path: '/v1.0/subscribedSkus', perm: DIR_READ },
  // lcw extension: managing the licence catalogue (docs/internals/directory.md)
  { method: 'POST', path: '/v1.0/subscribedSkus', perm: DIR_WRITE, body: INVALID },
  { method: 'GET', path: '/v1.0/subscribedSkus/{skuId}', perm: DIR_READ },
  { method: 'PATCH', path: '/v1.0/subscribedSkus/{skuId}', perm: DIR_WRITE, body: INVALID },
  { method: 'DELETE', path: `/v1.0/subscribedSkus/${MISSING}`, template: '/v1.0/subscribedSkus/{skuId}', perm: DIR_WRITE },
];

export const PERMS = { R, RW, WF_BASIC, WF_READ, WF_WRITE, EXT_READ, EXT_WRITE, AUDIT, DIR_READ, DIR_WRITE, CALLBACK };

/** The route's pattern in the form of src/api/routes.c: "/x/{}/y", lower case. */
export function normalisedTemplate(route) {
  return (route.template || route.path)
    .replace(/^\/v1\.0/, '')
    .replace(/\{[^}]*\}/g, '{}')
    .toLowerCase();
}
