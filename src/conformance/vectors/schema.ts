/**
 * The JSON Schema (draft 2020-12) of every vector file, written to vectors/schema/vectors.schema.json
 * by the generator. Kept as data here so the generator and the schema cannot drift apart.
 */
import { OPS, VECTOR_FORMAT_VERSION } from './format.js';

const jsonNum = {
  description: 'A float64: a JSON number (shortest round-trip decimal), or one of the strings "NaN", "Infinity", "-Infinity".',
  anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }],
};

export const VECTOR_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://diffusion-oracle/vectors/schema/vectors.schema.json',
  title: 'diffusion-oracle test vectors',
  description:
    'One file per formula family. Cases are grouped by the operation they exercise (an interface member of src/conformance/interface.ts, with its arguments named in OPS order). ' +
    'A valid case passes when every element of every output is within tolerance[output][precision] (absolute) of the expected float64 value; ' +
    'an invalid case passes when the implementation rejects the input (throws / raises).',
  type: 'object',
  required: ['family', 'version', 'generator', 'numberOfTests', 'header', 'indexConvention', 'notes', 'testGroups'],
  properties: {
    $schema: { type: 'string' },
    family: { type: 'string' },
    version: { const: VECTOR_FORMAT_VERSION },
    generator: { type: 'string' },
    numberOfTests: { type: 'integer', minimum: 0 },
    header: { type: 'array', items: { type: 'string' } },
    indexConvention: { type: 'string' },
    notes: {
      description: 'Every flag used in the file: the bug a flagged case is built to expose.',
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['bugType', 'description', 'effect'],
        properties: {
          bugType: { type: 'string' },
          description: { type: 'string' },
          effect: { type: 'string' },
          seenIn: { type: 'string' },
        },
        additionalProperties: false,
      },
    },
    testGroups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'op', 'comment', 'tests'],
        properties: {
          name: { type: 'string' },
          op: { enum: Object.keys(OPS) },
          comment: { type: 'string' },
          schedule: {
            type: 'object',
            required: ['name', 'T'],
            properties: { name: { type: 'string' }, T: { type: 'integer' }, options: { type: 'object' }, transform: { type: 'string' } },
          },
          betas: { description: 'β_1..β_T (index t-1) for every case of the group that gives no betas of its own.', type: 'array', items: jsonNum },
          tests: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'flags', 'inputs', 'result'],
              properties: {
                id: { type: 'string', pattern: '^[a-z0-9-]+/[A-Za-z0-9_.=-]+/[A-Za-z0-9_.=-]+$' },
                comment: { type: 'string' },
                flags: { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9_]+$' } },
                inputs: { type: 'object' },
                result: { enum: ['valid', 'invalid'] },
                expected: { type: 'object', additionalProperties: { anyOf: [jsonNum, { type: 'array', items: jsonNum }] } },
                tolerance: {
                  type: 'object',
                  additionalProperties: {
                    type: 'object',
                    required: ['float64', 'float32'],
                    properties: { float64: { type: 'number', minimum: 0 }, float32: { type: 'number', minimum: 0 } },
                    additionalProperties: false,
                  },
                },
                reason: { type: 'string' },
              },
              allOf: [
                { if: { properties: { result: { const: 'valid' } } }, then: { required: ['expected', 'tolerance'] } },
                { if: { properties: { result: { const: 'invalid' } } }, then: { required: ['reason'] } },
              ],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
  $defs: {
    operations: {
      description:
        'Argument order and outputs of every operation (interface member). Derived score-family operations list the interface members they are run through (`members`; see src/conformance/vectors/score-ops.ts).',
      const: OPS,
    },
    processSpec: {
      description: "A score-family `process` input: x_t = α(t) x_0 + σ(t) ε (see the files' indexConvention).",
      oneOf: [
        { type: 'object', required: ['kind', 'options'], properties: { kind: { const: 'vp' }, options: { type: 'object', properties: { betaMin: jsonNum, betaMax: jsonNum } } } },
        { type: 'object', required: ['kind', 'options'], properties: { kind: { const: 've' }, options: { type: 'object', properties: { sigmaMin: jsonNum, sigmaMax: jsonNum } } } },
        { type: 'object', required: ['kind', 'options'], properties: { kind: { const: 'indi' }, options: { type: 'object', properties: { noise: jsonNum, signal: { enum: [0, 1] }, extraNoise: jsonNum } } } },
        { type: 'object', required: ['kind', 'betas'], properties: { kind: { const: 'discrete-vp' }, betas: { type: 'array', items: jsonNum } } },
        { type: 'object', required: ['kind', 'options'], properties: { kind: { const: 'flow' }, options: { type: 'object', properties: { tMin: jsonNum } } } },
      ],
    },
    mixtureSpec: {
      description: 'Gaussian-mixture data Σ_k π_k N(μ_k, Σ_k): weights summing to 1, means (K vectors), and exactly one of variances (number or per-dimension vector per component), stds, covariances (d×d, symmetric positive definite).',
      type: 'object',
      required: ['weights', 'means'],
      properties: {
        weights: { type: 'array', items: jsonNum },
        means: { type: 'array', items: { type: 'array', items: jsonNum } },
        variances: { type: 'array' },
        stds: { type: 'array' },
        covariances: { type: 'array', items: { type: 'array', items: { type: 'array', items: jsonNum } } },
      },
    },
    modelSpec: {
      description:
        "A score-family `model` input: 'given' = the model's output at the step's input (x, timeGrid[0]) only; 'mixture' = the exact oracle of a Gaussian mixture on the vector's process (evaluable anywhere); 'sequence' = the outputs of the model's successive calls (call k at times[k] returns values[k]: a multistep sampler's history given as inputs). output: eps | x0 | v | score | flow.",
      oneOf: [
        { type: 'object', required: ['kind', 'output', 'value'], properties: { kind: { const: 'given' }, output: { enum: ['eps', 'x0', 'v', 'score', 'flow'] }, value: { type: 'array', items: jsonNum } } },
        { type: 'object', required: ['kind', 'output', 'mixture'], properties: { kind: { const: 'mixture' }, output: { enum: ['eps', 'x0', 'v', 'score', 'flow'] }, mixture: { $ref: '#/$defs/mixtureSpec' } } },
        { type: 'object', required: ['kind', 'output', 'times', 'values'], properties: { kind: { const: 'sequence' }, output: { enum: ['eps', 'x0', 'v', 'score', 'flow'] }, times: { type: 'array', items: jsonNum }, values: { type: 'array', items: { type: 'array', items: jsonNum } } } },
      ],
    },
    samplerOptions: {
      description: 'samplerStep options: noise = standard-normal draws in consumption order; stepSize τ, stepsPerLevel, snr, correctorSteps, denoiseLastStep, stochastic as in docs/samplers.md.',
      type: 'object',
      properties: { noise: { type: 'array', items: { type: 'array', items: jsonNum } } },
    },
  },
} as const;
