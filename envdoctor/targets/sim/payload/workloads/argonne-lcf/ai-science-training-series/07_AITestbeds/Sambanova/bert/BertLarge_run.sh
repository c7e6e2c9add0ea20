#! /bin/bash
# The data-parallel BERT-large run, submitted with sbatch (simulated node edition).
set -e -o pipefail
SIM_ROOT=${ENVDOCTOR_SIM_ROOT:-}
export SOFTWARE_HOME=${SIM_ROOT}/opt
LOGDIR=`date +%m%d%y.%H`
if [ "$1" ] ; then
LOGDIR=$1
fi
MODEL_NAME="BertLarge"
OUTPUT_PATH=${PWD}/${LOGDIR}/${MODEL_NAME}.out
echo "Using ${OUTPUT_PATH} for output"
mkdir -p ${PWD}/${LOGDIR}
ACTIVATE=${SIM_ROOT}/opt/sambaflow/apps/nlp/transformers_on_rdu/venv/bin/activate
export OMP_NUM_THREADS=18
SECONDS=0
OUTDIR=${HOME}/${MODEL_NAME}
if [ -f ${ACTIVATE} ] ; then source ${ACTIVATE}; fi
cd ${HOME}
echo "Model: " ${MODEL_NAME} | tee -a ${OUTPUT_PATH}
echo "Date: " $(date +%m/%d/%y) | tee -a ${OUTPUT_PATH}
mkdir -p ${OUTDIR}
cd ${OUTDIR}
if [ ! -e ${OUTDIR}/bertlrg/bertlrg.pef ] ; then
  echo "${OUTDIR}/bertlrg/bertlrg.pef does not exist, exiting" | tee -a ${OUTPUT_PATH}
  exit 1
fi
echo "RUN" | tee -a ${OUTPUT_PATH}
export SAMBA_CCL_ASYNC_ALLREDUCE=0
export SAMBA_CCL_HIERARCHICAL_ALLREDUCE=0
NTASKS=${SLURM_NTASKS:-1}
COMMAND="python -m accelsim sambanova run --max_seq_length 128 -b ${BATCH_SIZE:-256} --steps_this_run 505 --data-parallel --reduce-on-rdu --ntasks ${NTASKS} --pef=${OUTDIR}/bertlrg/bertlrg.pef"
echo "RUN COMMAND: $COMMAND" | tee -a ${OUTPUT_PATH}
eval $COMMAND 2>&1 | tee -a ${OUTPUT_PATH}
echo "Duration: " $SECONDS | tee -a ${OUTPUT_PATH}
