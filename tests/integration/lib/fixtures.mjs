// SPDX-License-Identifier: MIT
// Request bodies and catalogue facts (spec section 8) shared by the suites.

import { randomBytes } from 'node:crypto';

const NS = '#microsoft.graph.identityGovernance.';

/** Task definition ids (spec section 8). */
export const TD = Object.freeze({
  welcomeEmail: '70b29d51-b59a-4773-9280-8841dfd3f2ea',
  onboardingReminder: '3C860712-2D37-42A4-928F-5C93935D26A1',
  tap: '1b555e50-7f65-41d5-b514-5894a026d10d',
  addToGroups: '22085229-5809-45e8-97fd-270d28d66910',
  addToTeams: 'e440ed8d-25a1-4618-84ce-091ed5be5594',
  enableAccount: '6fc52c9d-398b-4305-9763-15f42c1676fc',
  disableAccount: '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950',
  customExtension: '4262b724-8dba-4fad-afc3-43fcbb497a0e',
  removeFromSelectedGroups: '1953a66c-751c-45e5-8bfe-01462c70da3c',
  removeFromAllGroups: 'b3a31406-2a15-4c9a-b25b-a658fa5f07fc',
  removeFromSelectedTeams: '06aa7acb-01af-4824-8899-b14e5ed788d6',
  removeFromAllTeams: '81f7b200-2816-4b3b-8c5d-dc556f07b024',
  removeAllLicenses: '8fa97d28-3e52-4985-b3a9-a1126f9b8b4e',
  deleteAccount: '8d18588d-9ad3-4c0f-99d0-ec215f0e3dff',
  emailBeforeLastDay: '52853a3e-f4e5-4eb8-bb24-1ac09a1da935',
  emailOnLastDay: '9c0a1eaf-5bda-4392-9d9e-6e155bb57411',
  emailAfterLastDay: '6f22ddd4-b3a5-47a4-a846-0d7c201a49ce',
  requestAccessPackage: 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be',
  removeAccessPackage: '4a0b64f2-c7ec-46ba-b117-18f262946c50',
  removeAllAccessPackages: '42ae2956-193d-4f39-be06-691b8ac4fa1d',
  cancelAccessPackageRequests: '498770d9-bab7-4e4c-b73d-5ded82a1d0b3',
  notifyManagerMove: 'aab41899-9972-422a-9d97-f626014578b7',
  assignLicenses: '683c87a4-2ad4-420b-97d4-220d90afcd24',
  removeLicenses: '5fc402a8-daaf-4b7b-9203-da868b05fc5f',
  revokeRefreshTokens: '509589a4-0466-4471-829e-49c5e502bdee',
  // lcw's addition (spec section 8, "newer tasks")
  updateUserAttributes: '2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b',
});

/** The 25 Graph v1.0 definitions: id -> category (spec section 8). */
export const GRAPH_TASK_DEFINITIONS = Object.freeze({
  [TD.welcomeEmail]: 'joiner',
  [TD.onboardingReminder]: 'joiner',
  [TD.tap]: 'joiner',
  [TD.addToGroups]: 'joiner,leaver,mover',
  [TD.addToTeams]: 'joiner,leaver,mover',
  [TD.enableAccount]: 'joiner,leaver',
  [TD.disableAccount]: 'joiner,leaver',
  [TD.customExtension]: 'joiner,leaver,mover',
  [TD.removeFromSelectedGroups]: 'joiner,leaver,mover',
  [TD.removeFromAllGroups]: 'leaver',
  [TD.removeFromSelectedTeams]: 'joiner,leaver,mover',
  [TD.removeFromAllTeams]: 'leaver',
  [TD.removeAllLicenses]: 'leaver',
  [TD.deleteAccount]: 'leaver',
  [TD.emailBeforeLastDay]: 'leaver',
  [TD.emailOnLastDay]: 'leaver',
  [TD.emailAfterLastDay]: 'leaver',
  [TD.requestAccessPackage]: 'joiner,mover',
  [TD.removeAccessPackage]: 'leaver,mover',
  [TD.removeAllAccessPackages]: 'leaver',
  [TD.cancelAccessPackageRequests]: 'leaver,mover',
  [TD.notifyManagerMove]: 'mover',
  [TD.assignLicenses]: 'joiner,mover',
  [TD.removeLicenses]: 'leaver,mover',
  [TD.revokeRefreshTokens]: 'leaver,mover',
});

/** Workflow template ids named in spec section 3.20. */
export const TEMPLATE_IDS = Object.freeze([
  '77179007-8114-41b5-922e-2e22109df41f',
  '4e06785d-7c1d-4b24-b9e1-bba2b890c58b',
  '56da3093-d105-40d4-9886-fccd074f2f2a',
  '145735f1-57cc-48c2-81ec-727f07a10096',
  '25abd83d-3b5d-4d6f-bb9a-4ed366fd96b1',
  'e821c59e-d28c-44d7-902f-5fed05e926f1',
]);

export function uniqueName(prefix = 'wf') {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

export function timeTrigger(attr = 'employeeHireDate', offsetInDays = 0) {
  return { '@odata.type': NS + 'timeBasedAttributeTrigger', timeBasedAttribute: attr, offsetInDays };
}

export function ruleScope(rule = "(department eq 'Marketing')") {
  return { '@odata.type': NS + 'ruleBasedSubjectSet', rule };
}

export function conditions({ rule, attr, offset } = {}) {
  return {
    '@odata.type': NS + 'triggerAndScopeBasedConditions',
    scope: ruleScope(rule),
    trigger: timeTrigger(attr, offset),
  };
}

export function task(taskDefinitionId, displayName, args = [], extra = {}) {
  return {
    continueOnError: false,
    description: `${displayName} (test)`,
    displayName,
    isEnabled: true,
    taskDefinitionId,
    arguments: args,
    ...extra,
  };
}

/** A valid joiner workflow body (Graph's documented create example, adapted). */
export function joinerWorkflow(overrides = {}) {
  return {
    category: 'joiner',
    displayName: uniqueName('Onboard'),
    description: 'Configure new hire tasks for onboarding employees on their first day',
    isEnabled: true,
    isSchedulingEnabled: false,
    executionConditions: conditions({ offset: 1 }),
    tasks: [
      task(TD.enableAccount, 'Enable User Account'),
      task(TD.welcomeEmail, 'Send Welcome Email', [{ name: 'to', value: 'Manager' }]),
    ],
    ...overrides,
  };
}

export function leaverWorkflow(overrides = {}) {
  return {
    category: 'leaver',
    displayName: uniqueName('Offboard'),
    description: 'Offboard leavers on their last day',
    isEnabled: true,
    isSchedulingEnabled: false,
    executionConditions: conditions({ rule: "(department eq 'Sales')", attr: 'employeeLeaveDateTime', offset: 0 }),
    tasks: [
      task(TD.disableAccount, 'Disable User Account'),
      task(TD.removeFromAllGroups, 'Remove user from all groups'),
    ],
    ...overrides,
  };
}

export function moverWorkflow(overrides = {}) {
  return {
    category: 'mover',
    displayName: uniqueName('Move'),
    description: 'Tell the manager about a move',
    isEnabled: true,
    isSchedulingEnabled: false,
    executionConditions: {
      '@odata.type': NS + 'triggerAndScopeBasedConditions',
      scope: ruleScope("(department eq 'Sales')"),
      trigger: { '@odata.type': NS + 'attributeChangeTrigger', triggerAttributes: [{ name: 'department' }] },
    },
    tasks: [task(TD.notifyManagerMove, 'Notify manager')],
    ...overrides,
  };
}
