/**
 * The generated database password, shared by both clouds: the same rules on AWS and GCP so the
 * boot scripts and the application treat it the same way.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * Characters the generated database password may contain besides letters and digits: none that RDS
 * forbids (`/ @ " space`) and none that shells or dotenv files treat specially (`$ \` ' # \\`).
 */
export const PASSWORD_SPECIALS = "-_.~!%^*+=";
export const PASSWORD_LENGTH = 32;

/**
 * A `random.RandomPassword` named `name` under `parent`, returned as a secret Output (the only form
 * in which it ever leaves here).
 */
export function databasePassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    const password = new random.RandomPassword(
        name,
        {
            length: PASSWORD_LENGTH,
            special: true,
            overrideSpecial: PASSWORD_SPECIALS,
            minLower: 2,
            minUpper: 2,
            minNumeric: 2,
            minSpecial: 2,
        },
        { parent, additionalSecretOutputs: ["result"] },
    );
    return pulumi.secret(password.result);
}
